//! moto's server as a child process on a free loopback port, for tests that
//! run the real AWS SDK against it. Killed when the handle drops.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

/// Where moto_server is: `TIGHTEN_MOTO_SERVER`, else the venv `.ci/moto.sh`
/// creates.
fn moto_server_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TIGHTEN_MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/moto-venv/bin/moto_server");
    venv.is_file().then_some(venv)
}

/// A free port: bind port 0, read it back, let it go. Another process could
/// take it in between; the start-up wait below then fails loudly.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

impl MotoServer {
    /// Starts moto, or returns `None` after printing why the test is skipped.
    /// Under CI (`CI` set) a missing moto fails the test instead.
    pub fn start() -> Option<MotoServer> {
        let Some(path) = moto_server_path().filter(|p| p.is_file()) else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "moto_server not found: CI is set, so this test must run; run .ci/moto.sh and set TIGHTEN_MOTO_SERVER"
                );
            }
            println!("SKIPPED: moto_server not found (run .ci/moto.sh)");
            return None;
        };
        let port = free_port();
        let child = Command::new(&path)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server at {} did not open port {port} within 60 s",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(server)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
