"""EngagementMetrics for PyFlink: per event type and one-minute event-time window, the number of
events, distinct users and total amount.

Managed Flink runs this file as the entry point named by the `python` key of the
`kinesis.analytics.flink.run.options` property group. Connector options for the source and sink
tables come from the application's runtime properties, so the same code reads Kinesis in
production and a local file in tests.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

# Where Managed Flink writes the application's runtime properties.
MANAGED_FLINK_PROPERTIES = "/etc/flink/application_properties.json"
# Local fallback: an environment variable or --application-properties FILE, same JSON format.
PROPERTIES_ENV = "ENGAGEMENT_PROPERTIES"
PROPERTIES_FLAG = "--application-properties"

SOURCE_GROUP = "SourceTable"
SINK_GROUP = "SinkTable"
SETTINGS_GROUP = "EngagementMetrics"

# Used when a group leaves them out: Kinesis with JSON on both sides.
DEFAULT_SOURCE_OPTIONS = {
    "connector": "kinesis",
    "format": "json",
    "scan.stream.initpos": "LATEST",
    # A record that is not valid JSON must stop the job loudly, never vanish (the seed's
    # silent drop); see README for how to route such records with the Java job instead.
    "json.ignore-parse-errors": "false",
}
DEFAULT_SINK_OPTIONS = {
    "connector": "kinesis",
    "format": "json",
}


@dataclass(frozen=True)
class Settings:
    source_options: Dict[str, str]
    sink_options: Dict[str, str]
    window_minutes: int = 1
    watermark_delay_seconds: int = 10
    idle_timeout: str = "1 min"
    source_table: str = "user_events"
    sink_table: str = "engagement_metrics"
    extra: Dict[str, str] = field(default_factory=dict)


def load_property_groups(argv=None, environ=None) -> Dict[str, Dict[str, str]]:
    """Reads Managed Flink's property groups: the file from --application-properties or
    $ENGAGEMENT_PROPERTIES if given, else the file Managed Flink provides."""
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    path: Optional[str] = None
    if PROPERTIES_FLAG in argv:
        index = argv.index(PROPERTIES_FLAG)
        if index + 1 >= len(argv):
            raise ValueError(f"{PROPERTIES_FLAG} needs a file path")
        path = argv[index + 1]
    elif environ.get(PROPERTIES_ENV):
        path = environ[PROPERTIES_ENV]
    elif os.path.isfile(MANAGED_FLINK_PROPERTIES):
        path = MANAGED_FLINK_PROPERTIES
    else:
        raise FileNotFoundError(
            f"no runtime properties: not on Managed Flink ({MANAGED_FLINK_PROPERTIES} is absent); "
            f"pass {PROPERTIES_FLAG} FILE or set {PROPERTIES_ENV}")
    with open(path, encoding="utf-8") as f:
        return parse_property_groups(json.load(f))


def parse_property_groups(document) -> Dict[str, Dict[str, str]]:
    """The runtime properties file is a list of {"PropertyGroupId", "PropertyMap"} objects."""
    groups = {}
    for group in document:
        groups[group["PropertyGroupId"]] = {str(k): str(v) for k, v in group.get("PropertyMap", {}).items()}
    return groups


def settings_from_groups(groups: Mapping[str, Mapping[str, str]]) -> Settings:
    for required in (SOURCE_GROUP, SINK_GROUP):
        if required not in groups:
            raise ValueError(f"missing property group {required}")
    source = _with_defaults(groups[SOURCE_GROUP], DEFAULT_SOURCE_OPTIONS)
    sink = _with_defaults(groups[SINK_GROUP], DEFAULT_SINK_OPTIONS)
    tuning = groups.get(SETTINGS_GROUP, {})
    return Settings(
        source_options=source,
        sink_options=sink,
        window_minutes=_positive_int(tuning, "window.minutes", 1),
        watermark_delay_seconds=_positive_int(tuning, "watermark.delay.seconds", 10, allow_zero=True),
        idle_timeout=tuning.get("source.idle-timeout", "1 min"),
    )


def _with_defaults(options: Mapping[str, str], kinesis_defaults: Mapping[str, str]) -> Dict[str, str]:
    """Kinesis defaults apply to Kinesis tables only: other connectors reject unknown keys."""
    options = dict(options)
    if options.get("connector", "kinesis") == "kinesis":
        return {**kinesis_defaults, **options}
    options.setdefault("format", "json")
    if options["format"] == "json" and "json.ignore-parse-errors" in kinesis_defaults:
        options.setdefault("json.ignore-parse-errors", kinesis_defaults["json.ignore-parse-errors"])
    return options


def _positive_int(props: Mapping[str, str], key: str, default: int, allow_zero: bool = False) -> int:
    raw = props.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{key} must be an integer, got {raw!r}") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{key} must be {'non-negative' if allow_zero else 'positive'}, got {value}")
    return value


def _with_clause(options: Mapping[str, str]) -> str:
    def quote(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    return ",\n".join(f"    {quote(k)} = {quote(v)}" for k, v in sorted(options.items()))


def source_ddl(settings: Settings) -> str:
    # `timestamp` is epoch millis; the event-time attribute derived from it drives the windows,
    # with watermarks that tolerate the configured out-of-orderness.
    return f"""CREATE TABLE {settings.source_table} (
    userId STRING,
    eventType STRING,
    page STRING,
    amount DECIMAL(18, 4),
    `timestamp` BIGINT,
    event_time AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
    WATERMARK FOR event_time AS event_time - INTERVAL '{settings.watermark_delay_seconds}' SECOND
) WITH (
{_with_clause(settings.source_options)}
)"""


def sink_ddl(settings: Settings) -> str:
    return f"""CREATE TABLE {settings.sink_table} (
    event_type STRING,
    window_start TIMESTAMP(3),
    window_end TIMESTAMP(3),
    event_count BIGINT,
    unique_users BIGINT,
    total_amount DECIMAL(38, 4)
) WITH (
{_with_clause(settings.sink_options)}
)"""


def metrics_query(settings: Settings) -> str:
    # Windowing table-valued function, not the legacy GROUP BY TUMBLE(...) syntax the seed used.
    return f"""SELECT
    eventType AS event_type,
    window_start,
    window_end,
    COUNT(*) AS event_count,
    COUNT(DISTINCT userId) AS unique_users,
    COALESCE(SUM(amount), 0) AS total_amount
FROM TABLE(
    TUMBLE(TABLE {settings.source_table}, DESCRIPTOR(event_time), INTERVAL '{settings.window_minutes}' MINUTE))
GROUP BY window_start, window_end, eventType"""


def insert_statement(settings: Settings) -> str:
    return f"INSERT INTO {settings.sink_table}\n{metrics_query(settings)}"


def configure(table_env, settings: Settings) -> None:
    config = table_env.get_config()
    # Window bounds are printed in UTC whatever the machine's zone, so results are comparable.
    config.set("table.local-time-zone", "UTC")
    # An idle Kinesis shard would otherwise hold back the watermark and no window would close.
    config.set("table.exec.source.idle-timeout", settings.idle_timeout)


def create_tables(table_env, settings: Settings) -> None:
    table_env.execute_sql(source_ddl(settings))
    table_env.execute_sql(sink_ddl(settings))


def main(argv=None):
    from pyflink.table import EnvironmentSettings, TableEnvironment

    settings = settings_from_groups(load_property_groups(argv))
    table_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    # Checkpointing is configured by Managed Flink from the application configuration.
    configure(table_env, settings)
    create_tables(table_env, settings)
    result = table_env.execute_sql(insert_statement(settings))
    if not os.path.isfile(MANAGED_FLINK_PROPERTIES):
        # Locally, block until the (bounded) job ends; on Managed Flink main must return after submit.
        result.wait()


if __name__ == "__main__":
    main()
