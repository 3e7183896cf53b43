#!/usr/bin/env python3
"""Who may do what: every route x every role x own unit / other unit / other series.

The routes come from `baocaod -r`, so a route added to the daemon without a row here fails
the first test. The expected statuses are written out by hand, one table per action, from the
access rules in docs/access.md; "ok" means the request passed the gate (the handler's own
answer: 200, 201, 404 no_submission, 422 for a body it refuses...).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOD, run_tests  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-12-02T09:00:00+07:00"   # Wednesday of week 49, in the second half-year

# Every route of the daemon and the action it declares.
ROUTES = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "metrics",
    ("GET", "/api/v1/series/{series}/periods/{period}"): "public",
    ("GET", "/api/v1/series/{series}/periods/{period}/template"): "report.read",
    ("POST", "/api/v1/series/{series}/periods/{period}/remind"): "remind",
    ("PUT", "/api/v1/series/{series}/periods/{period}/submission"): "report.write",
    # A unit's report in force, its workbook and its document: the recipient reads them too.
    ("GET", "/api/v1/series/{series}/periods/{period}/submission"): "report.view",
    ("GET", "/api/v1/series/{series}/periods/{period}/submission/file"): "report.view",
    ("PUT", "/api/v1/series/{series}/periods/{period}/submission/document"): "report.write",
    ("GET", "/api/v1/series/{series}/periods/{period}/submission/document"): "report.view",
    ("GET", "/api/v1/series/{series}/periods/{period}/documents"): "board.read",
    ("GET", "/api/v1/series/{series}/periods/{period}/submissions"): "report.read",
    ("GET", "/api/v1/series/{series}/periods/{period}/status"): "board.read",
    ("PUT", "/api/v1/series/{series}/periods/{period}/review"): "report.review",
    ("PUT", "/api/v1/series/{series}/periods/{period}/extension"): "report.extend",
    ("DELETE", "/api/v1/series/{series}/periods/{period}/extension"): "report.extend",
    # A unit's timeline in the period: as a unit's report, the recipient too.
    ("GET", "/api/v1/series/{series}/periods/{period}/timeline"): "report.timeline",
    ("GET", "/api/v1/series/{series}/periods/{period}/assessment"): "consolidate",
    ("PUT", "/api/v1/series/{series}/periods/{period}/assessment"): "consolidate",
    ("POST", "/api/v1/series/{series}/periods/{period}/approve"): "consolidate",
    ("GET", "/api/v1/series/{series}/periods/{period}/consolidated"): "consolidated.read",
    ("GET", "/api/v1/series/{series}/periods/{period}/consolidated/draft"):
        "consolidated.read",
    ("GET", "/api/v1/series/{series}/periods/{period}/consolidated/versions"):
        "consolidated.read",
    ("POST", "/api/v1/series/{series}/periods/{period}/consolidated/ack"): "consolidated.ack",
    ("PUT", "/api/v1/series/{series}/periods/{period}/consolidated/document"):
        "consolidated.document",
    ("GET", "/api/v1/series/{series}/periods/{period}/consolidated/document"):
        "consolidated.document.read",
    ("GET", "/api/v1/series/{series}/periods/{period}/consolidated/documents"):
        "consolidated.document.read",
    ("GET", "/api/v1/series/{series}/periods/{period}/remind/preview"): "remind",
    ("GET", "/api/v1/series/{series}/timeliness"): "consolidate",
    ("GET", "/api/v1/series/{series}/deliveries"): "consolidated.read",
    # A workbook alone: its hidden sheet names the unit, then judged as report.write.
    ("PUT", "/api/v1/submissions"): "report.send",
    # Several units' reports accepted at once: each item judged as report.review.
    ("POST", "/api/v1/series/{series}/periods/{period}/review"): "report.review",
    ("GET", "/api/v1/receipts/public-key"): "public",
    ("POST", "/api/v1/session"): "public",
    ("GET", "/api/v1/session"): "signed_in",
    ("DELETE", "/api/v1/session"): "public",
    ("PUT", "/api/v1/testing/clock"): "admin",
    ("GET", "/api/v1/series/{series}/periods/{period}/tasks"): "report.read",
    ("GET", "/api/v1/me"): "signed_in",
    ("PUT", "/api/v1/account/password"): "signed_in",
    ("GET", "/api/v1/account/tokens"): "signed_in",
    ("POST", "/api/v1/account/tokens/revoke"): "signed_in",
    ("GET", "/"): "public",
    ("GET", "/{file}"): "public",
    # The administrators' pages (admin.html)
    ("GET", "/api/v1/admin/units"): "admin",
    ("PUT", "/api/v1/admin/units/{unit}"): "admin",
    ("POST", "/api/v1/admin/units/import"): "admin",
    ("GET", "/api/v1/admin/accounts"): "admin",
    ("POST", "/api/v1/admin/accounts"): "admin",
    ("PUT", "/api/v1/admin/accounts/{login}/password"): "admin",
    ("PUT", "/api/v1/admin/accounts/{login}/disabled"): "admin",
    ("GET", "/api/v1/admin/series"): "admin",
    ("POST", "/api/v1/admin/series/{series}/tasks/preview"): "admin",
    ("POST", "/api/v1/admin/series/{series}/tasks/import"): "admin",
    ("PUT", "/api/v1/admin/series/{series}/periods/{period}/override"): "admin",
    ("DELETE", "/api/v1/admin/series/{series}/periods/{period}/override"): "admin",
    ("GET", "/api/v1/admin/calendar"): "admin",
    ("PUT", "/api/v1/admin/calendar/{day}"): "admin",
    ("DELETE", "/api/v1/admin/calendar/{day}"): "admin",
    ("GET", "/api/v1/admin/outbox"): "admin",
    ("POST", "/api/v1/admin/outbox/{id}/retry"): "admin",
}

# The callers: (login or None, unit of the account, role).
ROLES = {
    "anonymous": (None, None, None),
    "reporter": ("stc.baocao", "STC", "reporter"),
    "coordinator": ("skhcn.dieuphoi", "SKHCN", "coordinator"),        # consolidates nq57-weekly
    "coordinator-282": ("sngv.dieuphoi", "SNGV", "coordinator"),      # consolidates the 282 series
    "recipient": ("vptu.nhan", "VPTU", "recipient"),
    "admin": ("quantri", "SKHCN", "admin"),
}

# What each request is about: (series, unit; None for the caller's own unit).
TARGETS = {
    "own": ("nq57-weekly", None),
    "other-unit": ("nq57-weekly", "P-THANH-SEN"),
    "other-series": ("ngoai-vu-282-half-yearly", "P-THANH-SEN"),
}

# role -> (own, other-unit, other-series), per action.
EXPECTED = {
    "public": {r: ("ok", "ok", "ok") for r in ROLES},
    "signed_in": dict({r: ("ok", "ok", "ok") for r in ROLES}, anonymous=(401, 401, 401)),
    "report.read": {
        "anonymous": (401, 401, 401),
        "reporter": ("ok", 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": ("ok", 403, "ok"),
        "recipient": (403, 403, 403),
        "admin": (403, 403, 403),
    },
    # Read only: the recipient unit (Văn phòng Tỉnh ủy) reads every unit's report and document
    # of the series it receives, never its own unit's (it reports in none).
    "report.view": {
        "anonymous": (401, 401, 401),
        "reporter": ("ok", 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": ("ok", 403, "ok"),
        "recipient": (403, "ok", 403),
        "admin": (403, 403, 403),
    },
    # A unit's timeline: whoever may see its report (the reporter its own unit's only).
    "report.timeline": {
        "anonymous": (401, 401, 401),
        "reporter": ("ok", 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": ("ok", 403, "ok"),
        "recipient": (403, "ok", 403),
        "admin": (403, 403, 403),
    },
    # The board of a period and its units' documents.
    "board.read": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": ("ok", "ok", 403),          # Văn phòng Tỉnh ủy receives nq57-weekly
        "admin": (403, 403, 403),
    },
    "admin": dict({r: (403, 403, 403) for r in ROLES}, anonymous=(401, 401, 401),
                  admin=("ok", "ok", "ok")),
    # From this machine (metrics_allow's default) anyone; from elsewhere only an admin
    # (test_metrics.py).
    "metrics": {r: ("ok", "ok", "ok") for r in ROLES},
    "remind": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": (403, 403, 403),
        "admin": (403, 403, 403),
    },
    "report.review": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),       # any unit of the series it consolidates
        "coordinator-282": (403, 403, "ok"),    # not its own report in another's series
        "recipient": (403, 403, 403),
        "admin": (403, 403, 403),
    },
    # A unit's extension: the consolidating unit's coordinators, for any unit of the series.
    "report.extend": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": (403, 403, 403),
        "admin": (403, 403, 403),
    },
    "consolidate": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": (403, 403, 403),
        "admin": (403, 403, 403),
    },
    # The delivered workbooks (?version=final, the default); other versions are "consolidate".
    "consolidated.read": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": ("ok", "ok", 403),         # Văn phòng Tỉnh ủy receives nq57-weekly
        "admin": (403, 403, 403),
    },
    # Marking a delivered version received: the series' recipients only (409 not_delivered
    # here, nothing being delivered; 400 without ?n=, which the matrix does not send).
    "consolidated.ack": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": (403, 403, 403),
        "coordinator-282": (403, 403, 403),
        "recipient": ("ok", "ok", 403),
        "admin": (403, 403, 403),
    },
    # Sở KH&CN's signed document on a final version: its coordinators upload, or an admin.
    "consolidated.document": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": (403, 403, 403),
        "admin": ("ok", "ok", "ok"),
    },
    # ... and read it back; the recipients too (of approved versions only).
    "consolidated.document.read": {
        "anonymous": (401, 401, 401),
        "reporter": (403, 403, 403),
        "coordinator": ("ok", "ok", 403),
        "coordinator-282": (403, 403, "ok"),
        "recipient": ("ok", "ok", 403),
        "admin": ("ok", "ok", "ok"),
    },
    # The matrix's JSON body is refused (415) past the gate; the unit the workbook names is
    # judged as report.write by the handler (test_bulk_review.py).
    "report.send": dict({r: ("ok", "ok", "ok") for r in ROLES}, anonymous=(401, 401, 401),
                        recipient=(403, 403, 403), admin=(403, 403, 403)),
    "report.write": {
        "anonymous": (401, 401, 401),
        "reporter": ("ok", 403, 403),
        "coordinator": ("ok", "ok", 403),        # for another unit: filed on its behalf
        "coordinator-282": ("ok", 403, "ok"),
        "recipient": (403, 403, 403),
        "admin": (403, 403, 403),
    },
}


def setup():
    ex = Example("access", NOW)
    for login, unit, role in ROLES.values():
        if login:
            ex.account(login, unit, role)
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def test_every_route_has_a_row(ex):
    out = subprocess.run([BAOCAOD, "-r"], capture_output=True, text=True, check=True).stdout
    listed = {}
    for line in out.splitlines():
        method, pattern, action = line.split(" ")
        listed[(method, pattern)] = action
    assert listed == ROUTES, (sorted(set(listed.items()) ^ set(ROUTES.items())))
    assert set(ROUTES.values()) <= set(EXPECTED), "an action without an expected table"


def request(ex, login, method, pattern, series, unit):
    path = pattern.replace("{series}", series).replace("{period}", "current")
    path = path.replace("{file}", "login.html")
    if unit and "{series}" in pattern:
        path += f"?unit={unit}"
    headers = {}
    if login:
        headers["Authorization"] = f"Bearer {ex.tokens[login]}"
    body = None
    if method == "PUT":
        body = b'{"items": [{"task": "KHONG-CO", "status": "not_started"}]}'
        headers["Content-Type"] = "application/json"
    elif method == "POST":
        body = b"{}"
        headers["Content-Type"] = "application/json"
    if "{period}" in pattern and series != "nq57-weekly":
        path = path.replace("/current", "/2026-H2")
    return ex.d.request(method, path, body=body, headers=headers)


def check_matrix(ex):
    """Runs every request of the matrix; returns the list of mismatches."""
    wrong = []
    for (method, pattern), action in sorted(ROUTES.items()):
        for role, (login, _, _) in ROLES.items():
            for i, (target, (series, unit)) in enumerate(TARGETS.items()):
                want = EXPECTED[action][role][i]
                status, _, raw = request(ex, login, method, pattern, series, unit)
                code = None
                if raw.startswith(b"{"):
                    code = json.loads(raw).get("error", {}).get("code")
                if want == "ok":
                    good = status not in (401, 403) and status < 500
                else:
                    good = status == want
                if not good:
                    wrong.append(f"{method} {pattern} as {role} for {target}: "
                                 f"{status} {code}, expected {want}")
    return wrong


def test_matrix(ex):
    before = ex.count_submissions()
    wrong = check_matrix(ex)
    assert not wrong, "\n".join(wrong)
    # Nothing was stored by any request: the PUT bodies name a task nobody has.
    assert ex.count_submissions() == before


def test_refusals_say_what_to_do(ex):
    status, _, raw = ex.get("stc.baocao", "/api/v1/series/nq57-weekly/periods/current/"
                            "submission?unit=P-THANH-SEN")
    err = json.loads(raw)["error"]
    assert status == 403 and err["code"] == "forbidden_unit", err
    assert "đơn vị mình" in err["message"], err
    status, _, raw = ex.get("vptu.nhan", "/api/v1/series/nq57-weekly/periods/current/submission")
    err = json.loads(raw)["error"]
    assert status == 403 and err["code"] == "forbidden_role", err
    assert "báo cáo tổng hợp" in err["message"], err
    status, _, raw = ex.get("skhcn.dieuphoi", "/api/v1/series/ngoai-vu-282-half-yearly/periods/"
                            "2026-H2/submissions?unit=P-THANH-SEN")
    err = json.loads(raw)["error"]
    assert status == 403 and "đơn vị mình tổng hợp" in err["message"], err


def test_recipients_read_only_what_was_delivered(ex):
    base = "/api/v1/series/nq57-weekly/periods/current/consolidated"
    for version, path in (("live", base), ("cutoff", base), ("live", base + "/draft"),
                          ("cutoff", base + "/draft")):
        status, _, raw = ex.get("vptu.nhan", f"{path}?version={version}")
        err = json.loads(raw)["error"]
        assert status == 403 and err["code"] == "forbidden_role", (path, version, err)
        status, _, raw = ex.get("skhcn.dieuphoi", f"{path}?version={version}")
        assert status not in (401, 403), (path, version, status, raw)
    status, _, raw = ex.get("vptu.nhan", f"{base}?version=final")
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_final", raw


def test_refusals_are_logged(ex):
    log = ex.d.log_text()
    assert "authz" in log and "may not report.read for unit P-THANH-SEN" in log


if __name__ == "__main__":
    sys.exit(run_tests([test_every_route_has_a_row, test_matrix, test_refusals_say_what_to_do,
                        test_recipients_read_only_what_was_delivered,
                        test_refusals_are_logged], setup=setup, teardown=teardown))
