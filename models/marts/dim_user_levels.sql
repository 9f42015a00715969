{{config materialized="table"}}
-- Each user's level over time: one row per run of events at the same level, from the first event of the
-- run (valid_from) to the first event at the other level (valid_to; null for the level the user has now).
-- Derived from the events themselves, so it is the same on every build of the same data.
with events as (
    select
        cast(user_id as integer) as user_id,
        level,
        ts,
        row_number() over (
            partition by user_id
            order by ts, session_id, item_in_session
        ) as seq
    from {{ref "stg_events"}}
    where user_id <> ''
),

ordered as (
    select
        user_id, level, ts, seq,
        lag(level) over (partition by user_id order by seq) as previous_level
    from events
),

changes as (
    select user_id, level, ts as valid_from, seq
    from ordered
    where previous_level is null or previous_level <> level
),

players as (
    -- The users of dim_users: those who played a song.
    select distinct cast(user_id as integer) as user_id
    from {{ref "stg_events"}}
    where page = 'NextSong' and user_id <> ''
)

select
    c.user_id,
    c.level,
    c.valid_from,
    lead(c.valid_from) over (partition by c.user_id order by c.seq) as valid_to
from changes as c
join players as p on p.user_id = c.user_id
