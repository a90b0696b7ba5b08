import json
import os
import zipfile
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import engagement_metrics as em

T0 = 1_699_999_980_000  # a minute boundary


def at(minute, second):
    return T0 + minute * 60_000 + second * 1_000


def window(minute):
    return datetime.fromtimestamp((T0 + minute * 60_000) / 1000, tz=timezone.utc).replace(tzinfo=None)


def ev(user, kind, minute, second, amount=None):
    e = {"userId": user, "eventType": kind, "timestamp": at(minute, second)}
    if amount is not None:
        e["amount"] = amount
    return e


# Arrival order; out-of-order events stay within the 10 s watermark delay, so none is late
# whenever Flink's periodic watermark happens to fire.
EVENTS = [
    ev("alice", "page_view", 0, 5),
    ev("bob", "click", 0, 10),
    ev("alice", "click", 0, 20),
    ev("alice", "click", 0, 25),
    ev("alice", "purchase", 0, 50, 19.99),
    ev("bob", "page_view", 0, 45),
    ev("alice", "page_view", 1, 5),
    ev("bob", "purchase", 0, 58, 5.01),
    ev("carol", "page_view", 1, 15),
    ev("bob", "click", 1, 40),
    ev("dave", "purchase", 1, 59, 2.5),
    ev("alice", "purchase", 2, 10, 10.50),
]

# (event_type, window_start, window_end, event_count, unique_users, total_amount), by hand.
EXPECTED = sorted([
    ("page_view", window(0), window(1), 2, 2, Decimal("0.0000")),
    ("click", window(0), window(1), 3, 2, Decimal("0.0000")),
    ("purchase", window(0), window(1), 2, 2, Decimal("25.0000")),
    ("page_view", window(1), window(2), 2, 2, Decimal("0.0000")),
    ("click", window(1), window(2), 1, 1, Decimal("0.0000")),
    ("purchase", window(1), window(2), 1, 1, Decimal("2.5000")),
    ("purchase", window(2), window(3), 1, 1, Decimal("10.5000")),
])


def groups_document(source, sink, tuning=None):
    doc = [
        {"PropertyGroupId": "SourceTable", "PropertyMap": source},
        {"PropertyGroupId": "SinkTable", "PropertyMap": sink},
        {"PropertyGroupId": "kinesis.analytics.flink.run.options",
         "PropertyMap": {"python": "engagement_metrics.py", "jarfile": "lib/pyflink-kinesis-connector.jar"}},
    ]
    if tuning:
        doc.append({"PropertyGroupId": "EngagementMetrics", "PropertyMap": tuning})
    return doc


# ---- settings and SQL text -------------------------------------------------------------------

def test_kinesis_tables_get_kinesis_defaults():
    groups = em.parse_property_groups(groups_document(
        {"stream": "user-events", "aws.region": "eu-west-1"},
        {"stream": "engagement-metrics", "aws.region": "eu-west-1"}))
    s = em.settings_from_groups(groups)
    assert s.source_options == {
        "connector": "kinesis", "format": "json", "scan.stream.initpos": "LATEST",
        "json.ignore-parse-errors": "false", "stream": "user-events", "aws.region": "eu-west-1"}
    assert s.sink_options == {
        "connector": "kinesis", "format": "json", "stream": "engagement-metrics", "aws.region": "eu-west-1"}
    assert (s.window_minutes, s.watermark_delay_seconds, s.idle_timeout) == (1, 10, "1 min")


def test_other_connectors_get_no_kinesis_only_options():
    s = em.settings_from_groups(em.parse_property_groups(groups_document(
        {"connector": "filesystem", "path": "/in"}, {"connector": "print"},
        {"window.minutes": "5", "watermark.delay.seconds": "0"})))
    assert s.source_options == {"connector": "filesystem", "path": "/in", "format": "json",
                                "json.ignore-parse-errors": "false"}
    assert s.sink_options == {"connector": "print", "format": "json"}
    assert (s.window_minutes, s.watermark_delay_seconds) == (5, 0)


@pytest.mark.parametrize("tuning, message", [
    ({"window.minutes": "0"}, "window.minutes must be positive"),
    ({"window.minutes": "one"}, "window.minutes must be an integer"),
    ({"watermark.delay.seconds": "-1"}, "watermark.delay.seconds must be non-negative"),
])
def test_rejects_bad_tuning(tuning, message):
    with pytest.raises(ValueError, match=message):
        em.settings_from_groups(em.parse_property_groups(groups_document({}, {}, tuning)))


def test_requires_source_and_sink_groups():
    with pytest.raises(ValueError, match="missing property group SinkTable"):
        em.settings_from_groups({"SourceTable": {}})


def test_query_uses_the_tumble_windowing_tvf():
    s = em.settings_from_groups({"SourceTable": {}, "SinkTable": {}})
    sql = em.metrics_query(s)
    assert "FROM TABLE(\n    TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))" in sql
    assert "GROUP BY window_start, window_end, eventType" in sql
    assert "TUMBLE_START" not in sql and "GROUP BY\n        eventType,\n        TUMBLE(" not in sql
    assert em.insert_statement(s).startswith("INSERT INTO engagement_metrics\nSELECT")


def test_ddl_quotes_option_values():
    s = em.settings_from_groups({"SourceTable": {"connector": "filesystem", "path": "/it's"}, "SinkTable": {}})
    assert "'path' = '/it''s'" in em.source_ddl(s)
    assert "WATERMARK FOR event_time AS event_time - INTERVAL '10' SECOND" in em.source_ddl(s)


def test_properties_come_from_flag_then_env_then_managed_flink_file(tmp_path, monkeypatch):
    def write(name, stream):
        p = tmp_path / name
        p.write_text(json.dumps(groups_document({"stream": stream}, {})))
        return str(p)

    flag, env, managed = write("flag.json", "a"), write("env.json", "b"), write("managed.json", "c")
    monkeypatch.setattr(em, "MANAGED_FLINK_PROPERTIES", managed)
    environ = {em.PROPERTIES_ENV: env}
    assert em.load_property_groups(["--application-properties", flag], environ)["SourceTable"]["stream"] == "a"
    assert em.load_property_groups([], environ)["SourceTable"]["stream"] == "b"
    assert em.load_property_groups([], {})["SourceTable"]["stream"] == "c"
    monkeypatch.setattr(em, "MANAGED_FLINK_PROPERTIES", str(tmp_path / "absent.json"))
    with pytest.raises(FileNotFoundError, match="--application-properties"):
        em.load_property_groups([], {})


# ---- the query on a local PyFlink (a real Flink 1.20 MiniCluster) ---------------------------

@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("events")
    (d / "events.json").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    return d


def local_settings(events_dir, sink):
    return em.settings_from_groups(em.parse_property_groups(groups_document(
        {"connector": "filesystem", "path": str(events_dir)}, sink)))


def new_streaming_env(settings):
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    em.configure(t_env, settings)
    return t_env


def test_query_computes_exact_windows_per_event_type(events_dir):
    settings = local_settings(events_dir, {"connector": "blackhole"})
    t_env = new_streaming_env(settings)
    em.create_tables(t_env, settings)

    with t_env.sql_query(em.metrics_query(settings)).execute().collect() as rows:
        actual = sorted(tuple(r) for r in rows)

    assert actual == EXPECTED


def test_insert_job_writes_the_results_to_the_sink_table(events_dir, tmp_path):
    out = tmp_path / "out"
    settings = local_settings(events_dir, {"connector": "filesystem", "path": str(out)})
    t_env = new_streaming_env(settings)
    # The streaming file sink commits its files on checkpoints (and at the end of input).
    t_env.get_config().set("execution.checkpointing.interval", "1 s")
    em.create_tables(t_env, settings)

    t_env.execute_sql(em.insert_statement(settings)).wait(120_000)

    written = [json.loads(line, parse_float=Decimal)
               for f in sorted(out.rglob("*")) if f.is_file() and not f.name.startswith(".")
               for line in f.read_text().splitlines() if line.strip()]
    actual = sorted(
        (w["event_type"], datetime.fromisoformat(w["window_start"]), datetime.fromisoformat(w["window_end"]),
         w["event_count"], w["unique_users"], w["total_amount"])
        for w in written)
    assert actual == EXPECTED


# ---- the packaged artifacts (built by package.sh; test.sh builds them and sets these) --------

KINESIS_JAR = os.environ.get("PYFLINK_KINESIS_JAR")
PACKAGE_ZIP = os.environ.get("PYFLINK_PACKAGE_ZIP")


@pytest.mark.skipif(not KINESIS_JAR, reason="PYFLINK_KINESIS_JAR not set (run package.sh, or test.sh)")
def test_kinesis_tables_plan_with_the_packaged_connector_jar():
    # Planning resolves the 'kinesis' factories from the jar and builds source and sink without
    # calling AWS: it catches a connector that does not load on this Flink version.
    settings = em.settings_from_groups(em.parse_property_groups(json.load(open(os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "application_properties.example.json")))))
    t_env = new_streaming_env(settings)
    t_env.get_config().set("pipeline.jars", "file://" + os.path.abspath(KINESIS_JAR))
    em.create_tables(t_env, settings)

    plan = t_env.explain_sql(em.insert_statement(settings))

    assert "TableSourceScan(table=[[default_catalog, default_database, user_events]]" in plan
    assert "Sink(table=[default_catalog.default_database.engagement_metrics]" in plan
    assert "window=[TUMBLE(time_col=[event_time], size=[1 min])]" in plan


@pytest.mark.skipif(not PACKAGE_ZIP, reason="PYFLINK_PACKAGE_ZIP not set (run package.sh, or test.sh)")
def test_zip_has_the_layout_the_run_options_name():
    example = em.parse_property_groups(json.load(open(os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "application_properties.example.json"))))
    run_options = example["kinesis.analytics.flink.run.options"]
    with zipfile.ZipFile(PACKAGE_ZIP) as z:
        names = set(z.namelist())
    assert run_options["python"] in names
    assert run_options["jarfile"] in names
