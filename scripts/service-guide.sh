# Run by scripts/service-check as root inside a clean Debian 12 container booted with systemd:
# the steps of docs/install.md as an administrator types them, each timed, then the service's
# checks under systemd. Argument: the package's file name (in /root).
set -euo pipefail
deb=/root/$1
name=baocao.tinh.gov.vn
export DEBIAN_FRONTEND=noninteractive
fail() { echo "service-check: FAILED: $*" >&2; exit 1; }
ok() { echo "service-check: ok: $*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(now_ms)
mark=$start
timed() {	# timed WHAT: the time since the previous mark
	local t; t=$(now_ms)
	printf 'service-check: %-62s %6.1f s\n' "$1" "$(awk "BEGIN { print ($t - $mark) / 1000 }")"
	mark=$t
}
conf=/etc/baocao/baocaod.conf
set_key() {	# set_key KEY VALUE: what an administrator's editor does to one line
	grep -q "^$1 =" "$conf" || fail "$conf has no key $1"
	sed -i "s|^$1 =.*|$1 = $2|" "$conf"
}

# --- docs/install.md, 1. Packages ------------------------------------------------------------
apt-get update -qq >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt update"; }
timed "1. apt update"
apt-get install -y -qq "$deb" postgresql nginx certbot python3-certbot-nginx curl \
	>/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; fail "apt install"; }
timed "1. apt install (package, PostgreSQL, nginx, certbot; downloads)"
systemctl is-enabled baocaod >/dev/null 2>&1 && fail "baocaod is enabled before setup"
systemctl is-active baocaod >/dev/null 2>&1 && fail "baocaod runs before setup"

# --- 2. Database, example data and the first administrator -----------------------------------
baocaoctl setup --example ha-tinh --admin quantri >/tmp/setup.log 2>&1 ||
	{ cat /tmp/setup.log; fail "baocaoctl setup"; }
password=$(sed -n 's/^password: //p' /tmp/setup.log)
[ -n "$password" ] || { cat /tmp/setup.log; fail "setup printed no password"; }
timed "2. baocaoctl setup --example ha-tinh --admin quantri"

# --- 3. Configuration ------------------------------------------------------------------------
set_key public_url "https://$name/"
set_key trusted_proxies "127.0.0.1/32 ::1/128"
set_key cookie_secure true
set_key smtp_url "smtp://127.0.0.1:2525"
set_key from "baocao <baocao@$name>"
# Not in the guide: where delivered reports are written, and the test clock the checks use.
install -d -o baocao -g baocao -m 0750 /srv/baocao/delivery
set_key delivery_dir /srv/baocao/delivery
set_key clock_control true
baocaod -t -c $conf >/tmp/t.log 2>&1 || { cat /tmp/t.log; fail "baocaod -t"; }
systemctl enable --now baocaod >/tmp/enable.log 2>&1 ||
	{ cat /tmp/enable.log; journalctl -u baocaod --no-pager | tail -n 30; fail "systemctl enable --now baocaod"; }
curl -fs http://127.0.0.1:8080/readyz >/tmp/readyz.json || { cat /tmp/readyz.json; fail "/readyz"; }
grep -q '"status":"ready"' /tmp/readyz.json || fail "/readyz says $(cat /tmp/readyz.json)"
timed "3. configuration, baocaod -t, systemctl enable --now, /readyz"

# --- 4. HTTPS: nginx and certbot -------------------------------------------------------------
# certbot needs a public name and Let's Encrypt: here a certificate of our own at its path.
live=/etc/letsencrypt/live/$name
mkdir -p $live
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$name" \
	-addext "subjectAltName=DNS:$name" -keyout $live/privkey.pem -out $live/fullchain.pem \
	>/dev/null 2>&1 || fail "openssl req"
cp /usr/share/doc/baocao/examples/baocao.conf /etc/nginx/sites-available/baocao
sed -i "s/baocao\.example\.vn/$name/g" /etc/nginx/sites-available/baocao
ln -s ../sites-available/baocao /etc/nginx/sites-enabled/baocao
rm /etc/nginx/sites-enabled/default
mkdir -p /var/www/letsencrypt
nginx -t >/tmp/nginx.log 2>&1 || { cat /tmp/nginx.log; fail "nginx -t"; }
systemctl reload nginx || fail "systemctl reload nginx"
timed "4. nginx site (certificate made here, not by certbot)"

# --- 5. First login --------------------------------------------------------------------------
https() { curl -s --resolve "$name:443:127.0.0.1" --cacert $live/fullchain.pem "$@"; }
code=$(https -o /dev/null -w '%{http_code}' -D /tmp/login.headers -H 'Content-Type: application/json' \
	-d "{\"login\":\"quantri\",\"password\":\"$password\"}" "https://$name/api/v1/session")
[ "$code" = 201 ] || { journalctl -u baocaod --no-pager | tail -n 20; fail "first login over HTTPS: $code"; }
grep -qi '^set-cookie: __Host-baocao_session=.*Secure' /tmp/login.headers ||
	fail "no __Host- cookie over HTTPS: $(grep -i set-cookie /tmp/login.headers)"
timed "5. first login over HTTPS"
total=$(awk "BEGIN { print ($(now_ms) - $start) / 1000 }")
printf 'service-check: the guide, from apt update to the first login: %.0f s\n' "$total"
ok "the guide works as written on a clean Debian 12 under systemd"

# --- The service under systemd ---------------------------------------------------------------
apt-get install -y -qq python3-aiosmtpd python3-openpyxl >/tmp/apt.log 2>&1 ||
	{ tail -n 30 /tmp/apt.log; fail "apt install python3-aiosmtpd python3-openpyxl"; }
mkdir -p /root/mail
systemd-run -q --unit=smtp-sink python3 -m aiosmtpd -n -l 127.0.0.1:2525 \
	-c aiosmtpd.handlers.Mailbox /root/mail/box || fail "the SMTP sink did not start"
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && break; sleep 0.1; done
status=$(systemctl show -p StatusText --value baocaod)
case "$status" in "ready: database connected"*) ok "systemctl status says: $status" ;;
*) fail "the service's status text is '$status'" ;; esac
pid=$(systemctl show -p MainPID --value baocaod)
[ "$(stat -c %U /proc/$pid)" = baocao ] || fail "baocaod does not run as baocao"

printf 'Mat-khau-dai-1234' >/root/pw
baocaoctl account add --login snv.baocao --unit SNV --role reporter --email snv@$name \
	--password-file /root/pw >/dev/null || fail "account add reporter"
baocaoctl account add --login vptu.nhan --unit VPTU --role recipient --email vptu@$name \
	--password-file /root/pw >/dev/null || fail "account add recipient"
admin=$(baocaoctl token create --login quantri --expires 60d 2>/dev/null)
snv=$(baocaoctl token create --login snv.baocao --expires 60d 2>/dev/null)
[ -n "$admin" ] && [ -n "$snv" ] || fail "baocaoctl token create printed no token"
api() {	# api TOKEN METHOD PATH [curl args]
	local t=$1 m=$2 p=$3; shift 3
	https -H "Authorization: Bearer $t" -X "$m" "https://$name$p" "$@"
}
clock() {
	api "$admin" PUT /api/v1/testing/clock -H 'Content-Type: application/json' \
		-d "{\"now\":\"$1\"}" -o /dev/null -w '%{http_code}'
}
[ "$(clock 2026-12-09T09:00:00+07:00)" = 200 ] || fail "moving the test clock"
period=/api/v1/series/nq57-weekly/periods/2026-W50
code=$(api "$snv" GET $period/template -o /root/t.xlsx -w '%{http_code}')
[ "$code" = 200 ] || { head -c 600 /root/t.xlsx; echo; fail "the workbook of $period: $code"; }
python3 /root/fill_workbook.py /root/t.xlsx /root/f.xlsx right >/dev/null || fail "filling the workbook"
code=$(api "$snv" PUT $period/submission -o /root/receipt.json -w '%{http_code}' \
	-H 'Content-Type: application/octet-stream' --data-binary @/root/f.xlsx)
[ "$code" = 201 ] || { cat /root/receipt.json; fail "upload through nginx: $code"; }
for _ in $(seq 100); do grep -rqs "^To: .*snv@$name" /root/mail/box && break; sleep 0.2; done
grep -rqs "^To: .*snv@$name" /root/mail/box || { journalctl -u baocaod --no-pager | tail; fail "no receipt mail over SMTP"; }
ok "upload through nginx: receipt, the receipt mail sent over SMTP by the hardened service"
for key in receipt.key workbook.key; do
	[ "$(stat -c '%U %a' /var/lib/baocao/$key 2>/dev/null)" = "baocao 600" ] ||
		fail "/var/lib/baocao/$key is not the service's own (StateDirectory)"
done
ok "the service's keys made in /var/lib/baocao (StateDirectory), baocao's, 0600"

# Friday: the cut-off at 11:00, nobody approves, the automatic delivery 15 minutes before 15:30.
[ "$(clock 2026-12-11T15:16:00+07:00)" = 200 ] || fail "moving the test clock to Friday"
for _ in $(seq 150); do ls /srv/baocao/delivery/*.xlsx >/dev/null 2>&1 && break; sleep 0.2; done
ls /srv/baocao/delivery/*.xlsx >/dev/null 2>&1 ||
	{ journalctl -u baocaod --no-pager | tail -n 20; fail "nothing delivered into /srv/baocao/delivery"; }
[ "$(stat -c %U "$(ls /srv/baocao/delivery/*.xlsx | head -n 1)")" = baocao ] || fail "delivered file not baocao's"
for _ in $(seq 100); do grep -rqs "^To: .*vptu@$name" /root/mail/box && break; sleep 0.2; done
grep -rqs "^To: .*vptu@$name" /root/mail/box || fail "no final delivery mail to the recipient"
ok "the automatic delivery written to /srv/baocao/delivery and mailed to the recipient"

# Reload: RELOADING=1 then READY=1; same process.
systemctl reload baocaod || fail "systemctl reload"
[ "$(systemctl show -p MainPID --value baocaod)" = "$pid" ] || fail "reload changed the process"
systemctl is-active -q baocaod || fail "not active after reload"
journalctl -u baocaod --no-pager | grep -q 'Reloaded baocao' || fail "systemd did not see the reload end"
ok "systemctl reload: same process, active"

# Mail into the spool when no SMTP server is set (a restart setting).
set_key smtp_url ""
systemctl restart baocaod || fail "systemctl restart"
pid=$(systemctl show -p MainPID --value baocaod)
[ "$(clock 2026-12-16T09:00:00+07:00)" = 200 ] || fail "moving the test clock to week 51"
period=/api/v1/series/nq57-weekly/periods/2026-W51
code=$(api "$snv" GET $period/template -o /root/t.xlsx -w '%{http_code}')
[ "$code" = 200 ] || { head -c 600 /root/t.xlsx; echo; fail "the workbook of $period: $code"; }
python3 /root/fill_workbook.py /root/t.xlsx /root/f.xlsx right >/dev/null || fail "filling the workbook"
code=$(api "$snv" PUT $period/submission -o /root/receipt.json -w '%{http_code}' \
	-H 'Content-Type: application/octet-stream' --data-binary @/root/f.xlsx)
[ "$code" = 201 ] || { cat /root/receipt.json; fail "second upload: $code"; }
for _ in $(seq 100); do ls /var/spool/baocao/mail/*.eml >/dev/null 2>&1 && break; sleep 0.2; done
ls /var/spool/baocao/mail/*.eml >/dev/null 2>&1 || fail "no mail written into /var/spool/baocao/mail"
ok "without an SMTP server the receipt mail is written into /var/spool/baocao/mail"

# The watchdog: a daemon whose loop stops turning is killed and started again.
kill -STOP "$pid"
for _ in $(seq 300); do
	[ "$(systemctl show -p NRestarts --value baocaod)" -ge 1 ] && break
	sleep 0.2
done
[ "$(systemctl show -p NRestarts --value baocaod)" -ge 1 ] || fail "the watchdog did not restart a stopped daemon"
journalctl -u baocaod --no-pager | grep -q 'Watchdog timeout' || fail "no watchdog timeout in the journal"
for _ in $(seq 100); do curl -fs http://127.0.0.1:8080/readyz >/dev/null && break; sleep 0.2; done
curl -fs http://127.0.0.1:8080/readyz >/dev/null || fail "not ready after the watchdog's restart"
ok "the watchdog restarted a daemon that stopped turning (WatchdogSec=30)"

# The nightly backup unit (hardened as the daemon), and a backup by hand as root.
systemctl start baocao-backup.service ||
	{ journalctl -u baocao-backup --no-pager | tail; fail "baocao-backup.service"; }
ls /var/lib/baocao/backups/baocao-*/manifest.json >/dev/null 2>&1 ||
	fail "baocao-backup.service wrote no backup into /var/lib/baocao/backups"
systemctl enable --now baocao-backup.timer >/dev/null 2>&1 || fail "enable baocao-backup.timer"
systemctl is-active -q baocao-backup.timer || fail "the backup timer is not active"
next=$(systemctl show -p NextElapseUSecRealtime --value baocao-backup.timer)
[ -n "$next" ] && [ "$next" != "n/a" ] || fail "the backup timer has no next run"
ok "baocao-backup.service made a backup; baocao-backup.timer waits for the night"
sleep 1	# a backup folder is named by the second
baocaoctl backup >/tmp/backup.log 2>&1 || { cat /tmp/backup.log; fail "baocaoctl backup as root"; }
backup=$(ls -d /var/lib/baocao/backups/baocao-* | sort | tail -n 1)
[ "$(stat -c %U "$backup")" = baocao ] || fail "a backup made by root is not baocao's"
ok "baocaoctl backup by hand as root (run as baocao): $backup"

# Stop: STOPPING=1, requests finished, exit 0.
t=$(now_ms)
systemctl stop baocaod || fail "systemctl stop"
[ "$(systemctl show -p Result --value baocaod)" = success ] ||
	fail "the stop was not clean: $(systemctl show -p Result --value baocaod)"
ok "systemctl stop: clean, in $(( $(now_ms) - t )) ms"
systemctl is-enabled -q baocaod || fail "not enabled"

# Restore the backup made by hand over the database (the daemon stopped), then serve again.
before=$(runuser -u postgres -- psql -XtAc "SELECT count(*) FROM submission" baocao)
baocaoctl restore --force "$backup" >/tmp/restore.log 2>&1 || { cat /tmp/restore.log; fail "baocaoctl restore"; }
after=$(runuser -u postgres -- psql -XtAc "SELECT count(*) FROM submission" baocao)
[ "$before" = "$after" ] || fail "restore: $after reports where the backup had $before"
systemctl start baocaod || fail "start after the restore"
curl -fs http://127.0.0.1:8080/readyz >/dev/null || fail "not ready after the restore"
ok "baocaoctl restore --force as root (run as baocao), then the service starts again"
