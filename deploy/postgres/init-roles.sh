#!/bin/sh
# First start of the database container only (docker-entrypoint-initdb.d): the two login roles
# with their passwords. `gonghui audit pg-roles` (the migrate service) then gives each its
# rights and ownerships (docs/operations.md); it changes no password.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname gonghui \
    -v owner_pw="$PG_OWNER_PASSWORD" -v app_pw="$PG_APP_PASSWORD" <<'SQL'
CREATE ROLE gonghui_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE gonghui_app LOGIN PASSWORD :'app_pw';
SQL
