import pytest

from portal_common.config import CommonConfig, ConfigError, Env

COMPLETE = {
    "MONGO_URI": "mongodb://db/",
    "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
    "JWKS_URL": "http://identity/.well-known/jwks.json",
    "TOKEN_ISSUER": "http://identity",
    "KAFKA_SASL_PASSWORD_FILE": "/var/run/secrets/kafka/password",
    "GRPC_TLS_CERT_FILE": "/var/run/secrets/portal/grpc-tls/tls.crt",
    "GRPC_TLS_KEY_FILE": "/var/run/secrets/portal/grpc-tls/tls.key",
    "GRPC_TLS_CA_FILE": "/var/run/secrets/portal/grpc-tls/ca.crt",
}


def load(environ: dict[str, str]) -> CommonConfig:
    env = Env(environ)
    config = CommonConfig.from_env(env, "identity", http_port=8081, grpc_port=50051)
    env.check()
    return config


def test_complete_environment_gives_typed_settings_with_defaults():
    config = load({**COMPLETE, "HTTP_PORT": "9000"})
    assert config.http_port == 9000
    assert config.grpc_port == 50051
    assert config.mongo_db == "identity"
    assert config.events_topic == "account-events"


def test_kafka_is_sasl_ssl_as_the_service_unless_plaintext_is_asked_for():
    access = load(COMPLETE).kafka
    assert (access.security_protocol, access.username) == ("SASL_SSL", "identity")
    assert access.password_file == "/var/run/secrets/kafka/password"
    plain = load({**COMPLETE, "KAFKA_SECURITY_PROTOCOL": "plaintext", "KAFKA_SASL_PASSWORD_FILE": ""}).kafka
    assert plain.security_protocol == "PLAINTEXT"
    assert "sasl_plain_password" not in plain.client_settings()


def test_grpc_is_mutual_tls_unless_turned_off_and_extra_callers_are_read_per_method():
    config = load({**COMPLETE, "GRPC_CALLERS": "UpdatePreferences=dossier+reservation; GetPreferences=dossier"})
    assert config.grpc_tls is not None
    assert config.grpc_tls.ca_file.endswith("ca.crt")
    assert config.grpc_callers == {
        "UpdatePreferences": frozenset({"dossier", "reservation"}),
        "GetPreferences": frozenset({"dossier"}),
    }
    assert load({**COMPLETE, "GRPC_TLS": "false", "GRPC_TLS_CA_FILE": ""}).grpc_tls is None
    with pytest.raises(ConfigError, match="GRPC_CALLERS='UpdatePreferences' is not a valid Method=caller"):
        load({**COMPLETE, "GRPC_CALLERS": "UpdatePreferences"})


def test_an_unknown_kafka_protocol_is_refused_by_name():
    with pytest.raises(ConfigError, match="KAFKA_SECURITY_PROTOCOL='SASL_PLAINTEXT' is not one of SASL_SSL, PLAINTEXT"):
        load({**COMPLETE, "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext"})


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_missing_required_variable_is_named(missing):
    environ = {k: v for k, v in COMPLETE.items() if k != missing}
    with pytest.raises(ConfigError) as error:
        load(environ)
    assert f"{missing} is required" in str(error.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        load({"HTTP_PORT": "eighty", "GRPC_PORT": "-1"})
    message = str(error.value)
    for name in ("HTTP_PORT='eighty'", "GRPC_PORT='-1'", "MONGO_URI", "KAFKA_BOOTSTRAP_SERVERS", "JWKS_URL"):
        assert name in message


def test_booleans_and_lists():
    env = Env({"A": "yes", "B": "off", "C": "a, b,,c", "D": "maybe"})
    assert env.bool("A") is True
    assert env.bool("B") is False
    assert env.list("C") == ["a", "b", "c"]
    env.bool("D")
    with pytest.raises(ConfigError, match="D='maybe' is not a valid boolean"):
        env.check()


def test_numbers_below_their_minimum_or_not_numbers_are_refused():
    env = Env({"HOLD": "-0.5", "NAN": "nan", "OK": "0.25", "WORKERS": "0"})
    assert env.float("OK", min_value=0) == 0.25
    env.float("HOLD", min_value=0)
    env.float("NAN", min_value=0)
    env.int("WORKERS", min_value=1)
    with pytest.raises(ConfigError) as error:
        env.check()
    for name in ("HOLD='-0.5'", "NAN='nan'", "WORKERS='0'"):
        assert name in str(error.value)
