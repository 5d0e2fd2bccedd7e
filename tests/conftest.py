import pytest

from telegrambot.testing.pytest_plugin import check_no_thread_leak, library_threads

pytest_plugins = ["pytester"]  # tests of the pytest plugin run pytest inside pytest


@pytest.fixture(autouse=True)
def no_thread_leak():
    """Every telegrambot thread a test starts must be gone shortly after the test ends."""
    before = library_threads()
    yield
    check_no_thread_leak(before)


def make_self_signed(directory):
    """A self-signed certificate for 127.0.0.1 in ``directory``: (certfile, keyfile) paths."""
    import datetime
    import ipaddress
    import shutil
    import subprocess

    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl command is available")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(keyfile), "-out", str(certfile)],
            check=True, capture_output=True,
        )  # fmt: skip
        return str(certfile), str(keyfile)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(certfile), str(keyfile)


@pytest.fixture
def self_signed_cert(tmp_path):
    """(certfile, keyfile) of a fresh self-signed certificate for 127.0.0.1."""
    return make_self_signed(tmp_path)
