#!/bin/sh
# Writes the secrets deploy/compose.yaml mounts (deploy/secrets/, kept out of git), each once: run it
# again and the existing ones stay. Random values from the kernel; nothing leaves this machine.
set -eu
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# Compose mounts each file as it is, so the containers' users (node, postgres) must be able to read it:
# the files are world-readable, the folder that holds them is not.
keep() { [ -s "$dir/$1" ] || { printf '%s' "$2" > "$dir/$1"; chmod 644 "$dir/$1"; }; }
keep postgres_password "$(random)"
keep database_url "postgres://onsale:$(cat "$dir/postgres_password")@postgres:5432/onsale"
keep jwt_secret "$(random)"
keep queue_token_secret "$(random)"
keep admin_password "$(random | cut -c1-24)"
keep metrics_token "$(random)"
echo "secrets in $dir (admin password: $dir/admin_password)"
