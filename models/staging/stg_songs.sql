{{config from="song_data" format="auto"}}
-- One row per song file (a song may appear in several files). Columns match the JSON keys ('auto').
num_songs        integer,
artist_id        varchar(32),
artist_latitude  double precision,
artist_longitude double precision,
artist_location  varchar(512),
artist_name      varchar(512),
song_id          varchar(32),
title            varchar(512),
duration         double precision,
year             integer
