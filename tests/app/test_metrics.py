"""/metrics: Prometheus text, behind a token or the loopback address; counters and database gauges."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from app.db import get_session
from app.models import Connection, Recipe, Run, utcnow
from tests.webhooks.conftest import asaas  # noqa: F401 - the shared fixture
from tests.webhooks.test_ingest import envelope, post

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(client, **environ: str) -> dict:  # noqa: ANN001
    response = client.get("/metrics", environ_base=environ or {"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def test_without_a_token_only_loopback_clients_are_answered(client) -> None:  # noqa: ANN001
    assert client.get("/metrics", environ_base=REMOTE).status_code == 404
    assert ("ponte_queue_depth", ()) in scrape(client)
    assert ("ponte_queue_depth", ()) in scrape(client, REMOTE_ADDR="::1")


def test_with_a_token_every_scrape_needs_it(app: Flask, client) -> None:  # noqa: ANN001
    app.config["METRICS_TOKEN"] = "s3cret-metrics"
    assert client.get("/metrics").status_code == 401  # loopback too
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}, environ_base=REMOTE)
    assert response.status_code == 200
    assert "s3cret" not in response.get_data(as_text=True)


def test_deliveries_and_events_are_counted_by_connection(app: Flask, client, asaas: Connection) -> None:  # noqa: ANN001, F811
    before = scrape(client)
    assert post(client, asaas, envelope("evt_m1")).status_code == 200
    assert post(client, asaas, envelope("evt_m1")).status_code == 200  # a duplicate
    assert post(client, asaas, envelope("evt_m2"), token="wrong-token-wrong-token-wrong-00").status_code == 401
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("ponte_webhook_deliveries_total", connection="asaas", status="200") == 2
    assert delta("ponte_webhook_deliveries_total", connection="asaas", status="401") == 1
    assert delta("ponte_events_total", connection="asaas", outcome="stored") == 1
    assert delta("ponte_events_total", connection="asaas", outcome="duplicate") == 1


def test_queue_depth_oldest_ready_age_and_runs_by_status_come_from_the_database(app: Flask, client) -> None:  # noqa: ANN001
    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="asaas", name="a", settings={})
        session.add(connection)
        session.flush()
        recipe = Recipe(key="r", name="r", trigger_key="asaas.payment_created",
                        trigger_connection_id=connection.id, definition={})
        session.add(recipe)
        session.flush()
        old = utcnow() - timedelta(minutes=10)
        session.add_all([
            Run(recipe_id=recipe.id, recipe_version=1, max_attempts=6, dedupe_key="1", status="queued",
                next_attempt_at=old),
            Run(recipe_id=recipe.id, recipe_version=1, max_attempts=6, dedupe_key="2", status="retrying",
                next_attempt_at=utcnow() + timedelta(hours=1)),
            Run(recipe_id=recipe.id, recipe_version=1, max_attempts=6, dedupe_key="3", status="succeeded"),
        ])
        session.commit()
    metrics = scrape(client)
    assert metrics[("ponte_queue_depth", ())] == 1  # the retry is not due
    assert metrics[("ponte_oldest_ready_run_age_seconds", ())] >= 600
    assert metrics[("ponte_runs", (("status", "queued"),))] == 1
    assert metrics[("ponte_runs", (("status", "retrying"),))] == 1
    assert metrics[("ponte_runs", (("status", "succeeded"),))] == 1
    assert metrics[("ponte_scheduler_has_leader", ())] == 0
