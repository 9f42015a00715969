-- One row per distinct song-play start_time, broken into calendar parts (UTC).
-- weekday: 0 = Sunday ... 6 = Saturday; week: the ISO week number.
select
    start_time,
    cast(extract(hour  from start_time) as integer) as hour,
    cast(extract(day   from start_time) as integer) as day,
    cast(extract(week  from start_time) as integer) as week,
    cast(extract(month from start_time) as integer) as month,
    cast(extract(year  from start_time) as integer) as year,
    cast(extract(dow   from start_time) as integer) as weekday
from (
    select distinct start_time
    from {{ref "fct_songplays"}}
) as times
