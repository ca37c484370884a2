#!/bin/sh
# Copies the configuration from /etc/beckon-asterisk (a read-only mount, or the copy baked into the image) to
# /etc/asterisk and writes ARI_PASSWORD into ari.conf's `password = beckon` and AMI_SECRET into manager.conf's
# `secret = beckon`, so the passwords live in the environment (compose's .env, a Kubernetes Secret) and
# nowhere in the repository. Unset, the shipped `beckon` stays: fine on a laptop, never on a reachable host.
set -eu
src=/etc/beckon-asterisk
dst=/etc/asterisk
cp -a "$src"/. "$dst"/
# awk takes the value from its environment: no character of a password needs escaping. A `;` would start a
# comment in Asterisk's files and cut the password short, so it is refused (openssl rand -hex 24 makes good ones).
replace() { # file, line as shipped, setting name, value
  [ -n "$4" ] || return 0
  case "$4" in *';'*) echo "docker-entrypoint: $3 for $1 must not contain ';'" >&2; exit 1 ;; esac
  VALUE="$4" awk -v from="$2" -v name="$3" '$0 == from { print name " = " ENVIRON["VALUE"]; next } { print }' "$1" > "$1.new"
  mv "$1.new" "$1"
}
replace "$dst/ari.conf" 'password = beckon' password "${ARI_PASSWORD:-}"
replace "$dst/manager.conf" 'secret = beckon' secret "${AMI_SECRET:-}"
if [ -z "${ARI_PASSWORD:-}" ] || [ -z "${AMI_SECRET:-}" ]; then
  echo "docker-entrypoint: ARI_PASSWORD or AMI_SECRET unset, the shipped password 'beckon' stays" >&2
fi
chown -R asterisk:asterisk "$dst" /var/spool/asterisk /var/log/asterisk /var/lib/asterisk /var/run/asterisk
chmod 640 "$dst"/ari.conf "$dst"/manager.conf
exec "$@"
