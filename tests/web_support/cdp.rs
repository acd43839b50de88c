//! A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe`:
//! Chromium reads commands on fd 3 and writes responses and events on fd 4,
//! each message a JSON object ended by a NUL byte. One headless browser, one
//! page (a flattened target session), the few domains the page tests use.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The browser binary (`CHROMIUM` overrides it).
pub fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// How long one protocol command may take unless told otherwise.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A pipe whose two ends are duplicated to descriptors 10 and up, close-on-exec.
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid two-element array for pipe2 to fill.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // Above 4, so that dup2 onto 3 and 4 in the child cannot overwrite the other pipe.
    let [read, write] = fds.map(|fd| {
        // SAFETY: `fd` was just opened by pipe2; the duplicate is owned by the caller.
        let high = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
        assert!(high >= 10, "duplicating a pipe descriptor");
        // SAFETY: closing the original, which nothing else holds.
        unsafe { libc::close(fd) };
        high
    });
    (read, write)
}

/// A headless Chromium with one page attached.
pub struct Page {
    child: Child,
    commands: File,
    incoming: Receiver<Value>,
    /// Events not yet consumed, in arrival order.
    events: VecDeque<Value>,
    next_id: u64,
    session: String,
    /// URLs of every `Network.requestWillBeSent` seen so far.
    pub requests: Vec<String>,
    /// Console and log messages and uncaught exceptions of the page, for failure reports.
    pub console: Vec<String>,
    profile: tempfile::TempDir,
}

impl Page {
    /// Starts the browser with `extra` flags, opens a blank page and enables
    /// the Page, Runtime, DOM and Network domains on it.
    pub fn launch(extra: &[&str]) -> Page {
        let profile = tempfile::tempdir().expect("a profile folder");
        let (to_browser_read, to_browser_write) = pipe();
        let (from_browser_read, from_browser_write) = pipe();
        let log = File::create(profile.path().join("chromium.log")).expect("a log file");
        let mut cmd = Command::new(chromium());
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
        // SAFETY: only async-signal-safe calls (dup2) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                for (from, to) in [(to_browser_read, 3), (from_browser_write, 4)] {
                    if libc::dup2(from, to) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromium()));
        // SAFETY: the parent's ends are owned here from now on; the child's ends are closed.
        let (commands, responses) = unsafe {
            libc::close(to_browser_read);
            libc::close(from_browser_write);
            (
                File::from_raw_fd(to_browser_write),
                File::from_raw_fd(from_browser_read),
            )
        };
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            for chunk in BufReader::new(responses).split(0) {
                let Ok(bytes) = chunk else { break };
                let msg = serde_json::from_slice(&bytes).expect("a JSON message");
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut page = Page {
            child,
            commands,
            incoming,
            events: VecDeque::new(),
            next_id: 1,
            session: String::new(),
            requests: Vec::new(),
            console: Vec::new(),
            profile,
        };
        let target = page.send("Target.createTarget", json!({"url": "about:blank"}));
        let attached = page.send(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        page.session = attached["sessionId"].as_str().expect("a session").into();
        for domain in ["Page", "Runtime", "DOM", "Network", "Log"] {
            page.call(&format!("{domain}.enable"), json!({}));
        }
        page
    }

    /// The next message from the browser, or a panic after `timeout`.
    fn receive(&mut self, deadline: Instant, what: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = match self.incoming.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("{what}: no answer in time{}", self.log()),
            Err(RecvTimeoutError::Disconnected) => panic!("{what}: the browser quit{}", self.log()),
        };
        match msg["method"].as_str() {
            Some("Network.requestWillBeSent") => {
                let url = msg["params"]["request"]["url"].as_str().unwrap_or("");
                self.requests.push(url.to_string());
            }
            Some("Runtime.consoleAPICalled") => {
                let args = msg["params"]["args"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let text: Vec<String> = args
                    .iter()
                    .map(|a| a.get("value").unwrap_or(&a["description"]).to_string())
                    .collect();
                self.console.push(text.join(" "));
            }
            Some("Log.entryAdded") => {
                let e = &msg["params"]["entry"];
                let text = e["text"].as_str().unwrap_or("");
                self.console
                    .push(format!("{}: {text} {}", e["level"], e["url"]));
            }
            Some("Runtime.exceptionThrown") => {
                let d = &msg["params"]["exceptionDetails"];
                let text = d["exception"]["description"].as_str().unwrap_or("");
                let at = format!("{}:{}", d["url"].as_str().unwrap_or(""), d["lineNumber"]);
                self.console
                    .push(format!("uncaught at {at}: {} {text}", d["text"]));
            }
            _ => {}
        }
        msg
    }

    /// The browser's own log and the page's console, for a panic message.
    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.profile.path().join("chromium.log"));
        let tail: String = log
            .unwrap_or_default()
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n");
        format!(
            "\nchromium log (last lines, newest first):\n{tail}\nconsole:\n{}",
            self.console.join("\n")
        )
    }

    /// Sends a command (to the page's session, or to the browser when
    /// `session` is false) and waits up to `timeout` for its answer; events
    /// arriving meanwhile are kept. Returns the result, or the error object.
    pub fn send_to(
        &mut self,
        method: &str,
        params: Value,
        session: bool,
        timeout: Duration,
    ) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if session {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg).expect("a JSON command");
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("{method}: writing to the browser: {e}"));
        let deadline = Instant::now() + timeout;
        loop {
            let msg = self.receive(deadline, method);
            if msg["id"].as_u64() == Some(id) {
                return match msg.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(msg["result"].clone()),
                };
            }
            if msg.get("method").is_some() {
                self.events.push_back(msg);
            }
        }
    }

    /// A browser-level command that must succeed.
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        self.send_to(method, params, false, COMMAND_TIMEOUT)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// A page-session command that must succeed.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.send_to(method, params, true, COMMAND_TIMEOUT)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Waits for an event of the page's session named `method`.
    pub fn wait_event(&mut self, method: &str, timeout: Duration) -> Value {
        let mine = |m: &Value, s: &str| m["method"] == method && m["sessionId"] == s;
        if let Some(i) = self.events.iter().position(|m| mine(m, &self.session)) {
            return self.events.remove(i).expect("a buffered event");
        }
        let deadline = Instant::now() + timeout;
        loop {
            let msg = self.receive(deadline, &format!("waiting for {method}"));
            if mine(&msg, &self.session) {
                return msg;
            }
            if msg.get("method").is_some() {
                self.events.push_back(msg);
            }
        }
    }

    /// Loads `url` and waits for its load event.
    pub fn navigate(&mut self, url: &str) {
        self.events.retain(|m| m["method"] != "Page.loadEventFired");
        let r = self.call("Page.navigate", json!({"url": url}));
        if let Some(e) = r.get("errorText") {
            panic!("navigating to {url}: {e}");
        }
        self.wait_event("Page.loadEventFired", COMMAND_TIMEOUT);
    }

    /// Evaluates `expr` in the page (awaiting a promise) and returns its value; a thrown exception panics.
    pub fn eval_within(&mut self, expr: &str, timeout: Duration) -> Value {
        let params = json!({"expression": expr, "returnByValue": true, "awaitPromise": true});
        let r = self
            .send_to("Runtime.evaluate", params, true, timeout)
            .unwrap_or_else(|e| panic!("evaluating {expr}: {e}"));
        if let Some(d) = r.get("exceptionDetails") {
            let what = d["exception"]["description"].as_str().unwrap_or("");
            panic!("evaluating {expr}: {} {what}{}", d["text"], self.log());
        }
        r["result"]["value"].clone()
    }

    /// [`Page::eval_within`] with the default timeout.
    pub fn eval(&mut self, expr: &str) -> Value {
        self.eval_within(expr, COMMAND_TIMEOUT)
    }

    /// Polls `expr` every 50 ms until it is truthy; panics with `what` after `timeout`.
    pub fn wait_for(&mut self, expr: &str, timeout: Duration, what: &str) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.eval(expr);
            if !matches!(v, Value::Null | Value::Bool(false)) && v != json!("") && v != json!(0) {
                return v;
            }
            if Instant::now() > deadline {
                panic!("{what}: not within {timeout:?}{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Chooses `files` in the file input `selector`, as a user would (the input's change event fires).
    pub fn set_files(&mut self, selector: &str, files: &[&Path]) {
        let root = self.call("DOM.getDocument", json!({"depth": 0}));
        let node = self.call(
            "DOM.querySelector",
            json!({"nodeId": root["root"]["nodeId"], "selector": selector}),
        );
        assert_ne!(
            node["nodeId"],
            json!(0),
            "no element {selector} in the page"
        );
        let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        self.call(
            "DOM.setFileInputFiles",
            json!({"files": files, "nodeId": node["nodeId"]}),
        );
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
