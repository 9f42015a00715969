{{config from="log_data" format="log_json_path.json" timeformat="epochmillisecs" event_time="ts"}}
-- One row per raw log event, loaded with COPY semantics. Columns are in the order of the
-- JSONPaths file's paths; ts arrives as epoch milliseconds and is stored as a UTC timestamp.
artist          varchar(512),
auth            varchar(32),
first_name      varchar(128),
gender          varchar(8),
item_in_session integer,
last_name       varchar(128),
length          double precision,
level           varchar(16),
location        varchar(512),
method          varchar(8),
page            varchar(64),
registration    bigint,
session_id      integer,
song            varchar(512),
status          integer,
ts              timestamp,
user_agent      varchar(512),
user_id         varchar(32)
