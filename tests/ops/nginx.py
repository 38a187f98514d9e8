"""Debian's nginx run as an ordinary process on loopback ports, with the shipped deploy/nginx config.

The shipped files are used as they are, with only the site-specific parts rewritten:
listen addresses, certificate paths and the upstream ports.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orgbot.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "orgbot.crt", folder / "orgbot.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return crt, pem


def site_config(folder: Path, http_port: int, https_port: int, upstream_ports: list[int]) -> Path:
    """The shipped orgbot.conf and orgbot-upstream.conf, rewritten for loopback ports, in a full nginx.conf."""
    crt, key = self_signed(folder)
    site = (ROOT / "deploy" / "nginx" / "orgbot.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    site = site.replace("/etc/nginx/tls/orgbot.crt", str(crt)).replace("/etc/nginx/tls/orgbot.key", str(key))
    upstream = (ROOT / "deploy" / "nginx" / "orgbot-upstream.conf").read_text()
    servers = [line for line in upstream.splitlines() if line.strip().startswith("server 127.0.0.1:")]
    assert len(servers) == 2, "the shipped upstream lists two instances"
    template = servers[0]
    upstream = upstream.replace(servers[1] + "\n", "")
    upstream = upstream.replace(template, "\n".join(template.replace("8081", str(p)) for p in upstream_ports))
    (folder / "orgbot-upstream.conf").write_text(upstream)
    (folder / "orgbot.conf").write_text(site)
    for sub in ("body", "proxy", "logs"):
        (folder / sub).mkdir(exist_ok=True)
    main = folder / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/proxy;
    uwsgi_temp_path {folder}/proxy;
    scgi_temp_path {folder}/proxy;
    include {folder}/orgbot-upstream.conf;
    include {folder}/orgbot.conf;
}}
"""
    )
    return main


def check(main: Path) -> subprocess.CompletedProcess[str]:
    assert NGINX is not None
    return subprocess.run(
        [NGINX, "-t", "-p", str(main.parent), "-c", str(main)], capture_output=True, text=True, timeout=30, check=False
    )


class Nginx:
    def __init__(self, main: Path) -> None:
        self.main = main
        self.proc: subprocess.Popen[str] | None = None

    def start(self, port: int) -> None:
        assert NGINX is not None
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(self.main.parent), "-c", str(self.main), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        import socket

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else "nginx exited"
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("nginx did not listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
