//! A real SMTP server for the tests, in a few lines: it speaks enough of RFC 5321 for
//! lettre (EHLO, MAIL, RCPT, DATA, QUIT) and keeps every message it receives.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    /// On a given port (0: any free one).
    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind sink");
        let sink = SmtpSink {
            port: listener.local_addr().expect("addr").port(),
            messages: Arc::default(),
        };
        let messages = Arc::clone(&sink.messages);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = Arc::clone(&messages);
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                messages.lock().expect("lock").push(std::mem::take(body));
                                data = None;
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                body.push_str(line.strip_prefix('.').unwrap_or(&line));
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"502 not here\r\n",
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        sink
    }

    /// The messages received as a reader sees them: each base64 part decoded in place
    /// (lines as the sender wrote them), quoted-printable soft breaks joined.
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .expect("lock")
            .iter()
            .map(|m| decode_parts(m).replace("=\n", "").replace("=3D", "="))
            .collect()
    }

    /// The raw messages, exactly as lettre sent them (dot-stuffing undone).
    pub fn raw_messages(&self) -> Vec<String> {
        self.messages.lock().expect("lock").clone()
    }

    /// Waits (polling, bounded) until `count` messages have arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..200 {
            let now = self.messages();
            if now.len() >= count {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} mails, got {:?}", self.messages().len());
    }
}

/// The message with every `Content-Transfer-Encoding: base64` part's body decoded.
fn decode_parts(message: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut base64_next = false;
    let mut in_part_body = false;
    let mut encoded = String::new();
    for line in message.lines() {
        if in_part_body {
            if line.starts_with("--") || line.is_empty() {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.as_bytes())
                    .expect("valid base64 part");
                out.push_str(&String::from_utf8(bytes).expect("utf-8 part"));
                encoded.clear();
                in_part_body = false;
            } else {
                encoded.push_str(line.trim());
                continue;
            }
        }
        if line.eq_ignore_ascii_case("Content-Transfer-Encoding: base64") {
            base64_next = true;
        } else if line.is_empty() && base64_next {
            base64_next = false;
            in_part_body = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The reset token in a mailed link.
pub fn token_in(mail: &str) -> String {
    let start = mail.find("token=").expect("a link with a token") + "token=".len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
