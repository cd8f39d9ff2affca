#!/bin/bash
# Run once by the postgres image when it creates the primary's data folder:
# a role for streaming replicas, and the pg_hba line that lets it connect for
# replication (the image's own lines cover ordinary connections only).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v pw="${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
