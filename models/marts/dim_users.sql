-- One row per user who played a song. level is the level of that user's latest event (of any page),
-- so a user who upgraded during the period is 'paid'.
with events as (
    select
        cast(user_id as integer) as user_id,
        first_name,
        last_name,
        gender,
        level,
        page,
        row_number() over (
            partition by user_id
            order by ts desc, session_id desc, item_in_session desc
        ) as recency
    from {{ref "stg_events"}}
    where user_id <> ''
),

players as (
    select distinct user_id
    from events
    where page = 'NextSong'
)

select e.user_id, e.first_name, e.last_name, e.gender, e.level
from events as e
join players as p on p.user_id = e.user_id
where e.recency = 1
