"""The /rules page without JavaScript: templates, the form of fixed rows, preview, run log."""

from __future__ import annotations

import html
from typing import Any

from tests.integration.test_rules import ENTRY


def post(u: Any, url: str, data: dict[str, Any] | None = None, status: int = 303) -> Any:
    body = {**(data or {}), "_csrf_token": u.csrf["X-CSRF-Token"]}
    r = u.browser().post(url, data=body, follow_redirects=False)
    assert r.status_code == status, f"POST {url}: {r.status_code} {r.text[:2000]}"
    return r


def test_the_page_lists_templates_and_a_form_of_selects(user: Any) -> None:
    r = user.browser().get("/rules")
    assert r.status_code == 200
    text = html.unescape(r.text)
    for title in ("Stop the timer after N hours", "File entries by keyword", "Tag every entry of a project",
                  "Notify when a day passes N hours", "Log N minutes when a task is done"):
        assert title in text
    assert 'name="cond_field_4"' in r.text and 'name="act_type_4"' in r.text
    assert '<a href="/rules" aria-current="page">Rules</a>' in r.text


def test_a_template_rule_files_the_next_matching_entry(user: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Meetings"}).json()
    r = post(user, "/rules/templates/file_keyword", {"file_keyword_keyword": "standup",
                                                     "file_keyword_project": str(p["id"])})
    rule_id = int(r.headers["location"].rsplit("/", 1)[1])
    rule = user.api("GET", f"/api/rules/{rule_id}").json()
    assert (rule["trigger"], rule["conditions"], rule["actions"]) == (
        "entry_saved", [{"field": "notes", "op": "contains", "value": "standup"}],
        [{"type": "set_project", "project_id": p["id"]}])
    e = user.api("POST", "/api/entries", json={**ENTRY, "notes": "Standup"}).json()
    assert e["project_name"] == "Meetings"
    page = html.unescape(user.browser().get(f"/rules/{rule_id}").text)
    assert "project → Meetings" in page  # the run log


def test_every_template_creates_its_rule(user: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Client"}).json()
    post(user, "/rules/templates/auto_stop", {"auto_stop_hours": "9"})
    post(user, "/rules/templates/tag_project", {"tag_project_project": str(p["id"]), "tag_project_tag": "client"})
    post(user, "/rules/templates/day_hours", {"day_hours_hours": "6"})
    post(user, "/rules/templates/log_task", {"log_task_minutes": "20"})
    got = [(r["trigger"], r["conditions"], r["actions"]) for r in user.api("GET", "/api/rules").json()]
    assert got == [
        ("timer_running", [{"field": "elapsed_hours", "op": "gte", "value": 9}],
         [{"type": "stop_timer"}, {"type": "notify", "title": "Timer stopped after 9 h"}]),
        ("entry_saved", [{"field": "project_id", "op": "equals", "value": p["id"]}],
         [{"type": "add_tag", "tag": "client"}]),
        ("entry_saved", [{"field": "day_hours", "op": "gte", "value": 6}],
         [{"type": "notify", "title": "You tracked 6 h today"}]),
        ("task_completed", [], [{"type": "log_time", "minutes": 20}]),
    ]
    r = post(user, "/rules/templates/auto_stop", {"auto_stop_hours": "-1"}, status=422)
    assert "hours: must be greater than 0" in html.unescape(r.text)


def test_the_full_form_builds_a_rule_and_shows_the_secret_once(user: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Acme"}).json()
    r = post(user, "/rules", {
        "name": "Acme mornings", "trigger": "entry_saved", "enabled": "on",
        "cond_field_0": "project_id", "cond_op_0": "equals", "cond_value_0": "acme",
        "cond_field_1": "start_hour", "cond_op_1": "in", "cond_value_1": "8, 9,10",
        "cond_field_2": "", "cond_op_2": "contains", "cond_value_2": "",
        "act_type_0": "add_tag", "act_value_0": "morning",
        "act_type_1": "set_billable", "act_value_1": "yes",
        "act_type_2": "", "act_value_2": "",
    }, status=201)
    rules = user.api("GET", "/api/rules").json()
    assert len(rules) == 1
    assert rules[0]["conditions"] == [{"field": "project_id", "op": "equals", "value": p["id"]},
                                      {"field": "start_hour", "op": "in", "value": [8, 9, 10]}]
    assert rules[0]["actions"] == [{"type": "add_tag", "tag": "morning"}, {"type": "set_billable", "value": True}]
    assert "Webhook secret" in r.text
    assert "Webhook secret" not in user.browser().get(f"/rules/{rules[0]['id']}").text


def test_a_bad_row_is_422_naming_the_row(user: Any) -> None:
    r = post(user, "/rules", {"name": "x", "trigger": "entry_saved",
                              "cond_field_0": "weekday", "cond_op_0": "equals", "cond_value_0": "nine",
                              "act_type_0": "add_tag", "act_value_0": "t"}, status=422)
    assert "Condition 1 (value): must be a number" in html.unescape(r.text)
    assert user.api("GET", "/api/rules").json() == []


def test_edit_toggle_preview_and_delete(user: Any) -> None:
    e = user.api("POST", "/api/entries", json={"start_time": "2026-11-30T09:00:00Z",
                                              "end_time": "2026-11-30T09:30:00Z", "notes": "review"}).json()
    rule_id = user.api("POST", "/api/rules", json={"name": "r", "trigger": "entry_saved",
                                                   "actions": [{"type": "add_tag", "tag": "a"}]}).json()["id"]
    post(user, f"/rules/{rule_id}", {"name": "Reviews", "trigger": "entry_saved", "enabled": "on",
                                     "cond_field_0": "notes", "cond_op_0": "contains", "cond_value_0": "review",
                                     "act_type_0": "add_tag", "act_value_0": "rev"})
    assert user.api("GET", f"/api/rules/{rule_id}").json()["actions"] == [{"type": "add_tag", "tag": "rev"}]
    page = user.browser().get(f"/rules/{rule_id}?preview=1")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "tag + rev" in text and 'data-testid="rule-preview"' in text
    assert user.api("GET", f"/api/entries/{e['id']}").json()["tags"] == []  # the preview changed nothing
    post(user, f"/rules/{rule_id}/toggle")
    assert user.api("GET", f"/api/rules/{rule_id}").json()["enabled"] is False
    assert "Webhook secret" in post(user, f"/rules/{rule_id}/secret", status=200).text
    post(user, f"/rules/{rule_id}/delete")
    assert user.api("GET", f"/api/rules/{rule_id}").status_code == 404


def test_rules_move_up_and_down_in_the_run_order(user: Any) -> None:
    ids = [user.api("POST", "/api/rules", json={"name": f"r{i}", "trigger": "entry_saved",
                                                 "actions": [{"type": "add_tag", "tag": f"t{i}"}]}).json()["id"]
           for i in range(3)]
    post(user, f"/rules/{ids[2]}/move", {"direction": "up"})
    assert [r["id"] for r in user.api("GET", "/api/rules").json()] == [ids[0], ids[2], ids[1]]
    post(user, f"/rules/{ids[0]}/move", {"direction": "down"})
    listed = user.api("GET", "/api/rules").json()
    assert [(r["id"], r["position"]) for r in listed] == [(ids[2], 0), (ids[0], 1), (ids[1], 2)]
    # The order is the run order: tags are added in it.
    e = user.api("POST", "/api/entries", json=ENTRY).json()
    assert e["tags"] == ["t2", "t0", "t1"]


def test_form_values_are_bounded_like_the_api(user: Any) -> None:
    r = post(user, "/rules", {"name": "x", "trigger": "entry_saved",
                              "cond_field_0": "notes", "cond_op_0": "contains", "cond_value_0": "n" * 201,
                              "act_type_0": "add_tag", "act_value_0": "t"}, status=422)
    assert "Condition 1 (value): must be at most 200 characters" in html.unescape(r.text)
    r = post(user, "/rules", {"name": "x", "trigger": "entry_saved",
                              "cond_field_0": "weekday", "cond_op_0": "in", "cond_value_0": ",".join(["1"] * 51),
                              "act_type_0": "add_tag", "act_value_0": "t"}, status=422)
    assert "Condition 1 (value): at most 50 values" in html.unescape(r.text)
    r = post(user, "/rules", {"name": "x", "trigger": "entry_saved",
                              "act_type_0": "webhook", "act_value_0": "https://h/" + "p" * 2000}, status=422)
    assert "Action 1 (url): must be at most 2000 characters" in html.unescape(r.text)
    assert user.api("GET", "/api/rules").json() == []
