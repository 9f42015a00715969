-- Every NextSong event in staging is exactly one songplay: returns a row if the counts differ.
select plays, songplays
from (select count(*) as plays from {{ref "stg_events"}} where page = 'NextSong') as a
cross join (select count(*) as songplays from {{ref "fct_songplays"}}) as b
where plays <> songplays
