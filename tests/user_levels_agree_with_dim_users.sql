-- dim_user_levels and dim_users tell the same story: every user has exactly one current level (valid_to
-- null), it is the level dim_users holds, and a user's periods follow one another without overlap.
-- Returns the users for whom that is not so.
with current_levels as (
    select user_id, count(*) as current_rows, max(level) as level
    from {{ref "dim_user_levels"}}
    where valid_to is null
    group by user_id
),

broken_chains as (
    select user_id
    from (
        select user_id, valid_from, valid_to,
               lead(valid_from) over (partition by user_id order by valid_from) as next_from
        from {{ref "dim_user_levels"}}
    ) as periods
    where valid_to is not null and (next_from is null or valid_to <> next_from)
)

select u.user_id, u.level as dim_level, c.level as history_level, c.current_rows
from {{ref "dim_users"}} as u
left join current_levels as c on c.user_id = u.user_id
where c.user_id is null or c.current_rows <> 1 or c.level <> u.level
union all
select o.user_id, null, null, null
from broken_chains as o
