-- One row per artist_id, however many songs or files name it. Where files disagree, the entry
-- with a known location wins, then the first by song_id.
select artist_id, name, location, latitude, longitude
from (
    select
        artist_id,
        artist_name      as name,
        artist_location  as location,
        artist_latitude  as latitude,
        artist_longitude as longitude,
        row_number() over (
            partition by artist_id
            order by case when artist_latitude is null then 1 else 0 end, song_id
        ) as pick
    from {{ref "stg_songs"}}
) as artists
where pick = 1
