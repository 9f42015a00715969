{{config materialized="incremental" incremental_strategy="microbatch" event_time="start_time" batch_size="day" begin="2018-11-01" lookback=1 dist="start_time" sort="start_time"}}
-- One row per song play (page = 'NextSong'). song_id and artist_id are set only where the play's
-- title, artist name and duration all match the catalogue; otherwise they are null.
-- Built by day (microbatch): a run redoes the newest day it holds and the day before it, so a log file that
-- arrives late for one of them is picked up; songplay_id comes from the event itself, so it does not change
-- when later days arrive.
with plays as (
    select *
    from {{ref "stg_events"}}
    where page = 'NextSong'
),

catalogue as (
    -- One catalogue entry per (title, artist name, duration), so a match never multiplies a play.
    select song_id, artist_id, title, artist_name, duration
    from (
        select
            song_id, artist_id, title, artist_name, duration,
            row_number() over (partition by title, artist_name, duration order by song_id) as pick
        from {{ref "stg_songs"}}
    ) as ranked
    where pick = 1
)

select
    md5(cast(p.ts as varchar) || '|' || p.user_id || '|' || p.session_id || '|' || p.item_in_session) as songplay_id,
    p.ts                                  as start_time,
    cast(nullif(p.user_id, '') as integer) as user_id,
    p.level,
    c.song_id,
    c.artist_id,
    p.session_id,
    p.location,
    p.user_agent
from plays as p
left join catalogue as c
    on  p.song   = c.title
    and p.artist = c.artist_name
    and p.length = c.duration
