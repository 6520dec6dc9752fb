//! One connection's deadlines. hyper gives a single timer for request heads that also runs while
//! a kept-alive connection waits for its next request, so both are kept here instead: the
//! connection's bytes go through [`TimedIo`], which knows from its [`Watch`] whether a request is
//! being answered, and closes the connection (a `TimedOut` read error) when
//!
//! - a request head has been arriving for longer than the header timeout (counted from its
//!   first byte), or
//! - the connection has been idle between requests for longer than the idle timeout (counted
//!   from the last answer, or from the accept).
//!
//! While a request is being answered no deadline runs here: its body is read under the body
//! timeout ([`crate::http`]), and the operation bounds itself (a long poll waits 20 s at most).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Where a connection is, as its requests and its bytes tell.
#[derive(Debug)]
struct Phase {
    /// A request is being answered.
    busy: bool,
    /// Bytes of a new request have arrived since the last answer.
    reading_head: bool,
    /// When the connection is closed unless something changes; `None` while busy.
    deadline: Option<Instant>,
}

/// A connection's phase, shared by its bytes ([`TimedIo`]) and its requests.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    phase: Arc<Mutex<Phase>>,
    idle: Duration,
}

impl Watch {
    /// A connection accepted now, idle until its first request's bytes arrive.
    pub(crate) fn new(idle: Duration) -> Self {
        let phase = Phase {
            busy: false,
            reading_head: false,
            deadline: Some(Instant::now() + idle),
        };
        Self {
            phase: Arc::new(Mutex::new(phase)),
            idle,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request is being answered until the guard is dropped; then the idle timeout runs.
    pub(crate) fn busy(&self) -> Busy {
        let mut phase = self.lock();
        phase.busy = true;
        phase.reading_head = false;
        phase.deadline = None;
        Busy(self.clone())
    }
}

/// Held while a request is answered.
#[derive(Debug)]
pub(crate) struct Busy(Watch);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut phase = self.0.lock();
        phase.busy = false;
        phase.deadline = Some(Instant::now() + self.0.idle);
    }
}

/// A connection's stream under its [`Watch`]'s deadlines.
#[derive(Debug)]
pub(crate) struct TimedIo<T> {
    io: T,
    watch: Watch,
    header_timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    armed_for: Option<Instant>,
}

impl<T> TimedIo<T> {
    pub(crate) fn new(io: T, watch: Watch, header_timeout: Duration) -> Self {
        Self {
            io,
            watch,
            header_timeout,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed_for: None,
        }
    }

    /// Bytes arrived: the first ones after an answer start the header timeout.
    fn on_bytes(&mut self) {
        let mut phase = self.watch.lock();
        if !phase.busy && !phase.reading_head {
            phase.reading_head = true;
            phase.deadline = Some(Instant::now() + self.header_timeout);
        }
    }

    /// An error once the current deadline has passed; registers for it otherwise.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let (deadline, reading_head) = {
            let phase = self.watch.lock();
            (phase.deadline, phase.reading_head)
        };
        let Some(deadline) = deadline else {
            return Ok(());
        };
        if self.armed_for != Some(deadline) {
            self.sleep.as_mut().reset(deadline);
            self.armed_for = Some(deadline);
        }
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Ok(());
        }
        let why = if reading_head {
            "the request head did not arrive within the header timeout"
        } else {
            "the connection was idle for longer than the idle timeout"
        };
        Err(io::Error::new(io::ErrorKind::TimedOut, why))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.on_bytes();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.poll_deadline(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            // A peer that does not read its answers is held to the idle timeout too.
            Poll::Pending => match this.poll_deadline(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
            ready => ready,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write_vectored(cx, bufs) {
            Poll::Pending => match this.poll_deadline(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
            ready => ready,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
