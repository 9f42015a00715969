-- One row per song_id, however many song files repeat it.
select song_id, title, artist_id, year, duration
from (
    select
        song_id, title, artist_id, year, duration,
        row_number() over (partition by song_id order by title, artist_id) as pick
    from {{ref "stg_songs"}}
) as songs
where pick = 1
