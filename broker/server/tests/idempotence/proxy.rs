//! A Kafka-aware TCP proxy for fault injection: it forwards frames both
//! ways unchanged, and for chosen Produce responses — already read from the
//! broker, so the append has happened — drops the response and cuts both
//! connections. The client never learns that its records were written and
//! must retry on a new connection.
//!
//! Clients reach the broker only through the proxy because the broker
//! advertises the proxy's address (`advertised.listeners`), so every
//! reconnect after a cut goes through it again.

use std::collections::{BTreeSet, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PRODUCE: i16 = 0;

#[derive(Default)]
struct Counters {
    /// Produce responses seen from the broker (1-based numbering).
    produce_responses: AtomicUsize,
    cuts: AtomicUsize,
}

pub struct CutProxy {
    listener: Option<TcpListener>,
    pub addr: SocketAddr,
    counters: Arc<Counters>,
}

impl CutProxy {
    /// Binds the proxy's port first, so the broker can advertise it.
    pub async fn bind() -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        CutProxy {
            listener: Some(listener),
            addr,
            counters: Arc::default(),
        }
    }

    /// Starts forwarding to `broker`; the produce responses numbered in
    /// `cut_at` (counting every produce response through the proxy, from
    /// 1) are dropped and their connection cut.
    pub fn start(&mut self, broker: SocketAddr, cut_at: &[usize]) {
        let listener = self.listener.take().expect("started twice");
        let plan = Arc::new(cut_at.iter().copied().collect::<BTreeSet<usize>>());
        let counters = Arc::clone(&self.counters);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(upstream) = TcpStream::connect(broker).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                tokio::spawn(relay(client, upstream, Arc::clone(&plan), Arc::clone(&counters)));
            }
        });
    }

    pub fn cuts(&self) -> usize {
        self.counters.cuts.load(Ordering::SeqCst)
    }

    pub fn produce_responses(&self) -> usize {
        self.counters.produce_responses.load(Ordering::SeqCst)
    }
}

async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await.ok()?;
    let n = usize::try_from(i32::from_be_bytes(len)).ok()?;
    let mut frame = vec![0u8; 4 + n];
    frame[..4].copy_from_slice(&len);
    r.read_exact(&mut frame[4..]).await.ok()?;
    Some(frame)
}

/// One client connection. Requests: api key at body offset 0, correlation
/// id at 4. Responses: correlation id at body offset 0.
async fn relay(client: TcpStream, upstream: TcpStream, plan: Arc<BTreeSet<usize>>, counters: Arc<Counters>) {
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut up_rd, mut up_wr) = upstream.into_split();
    let produce_ids: Arc<Mutex<HashSet<i32>>> = Arc::default();

    let ids = Arc::clone(&produce_ids);
    let requests = tokio::spawn(async move {
        while let Some(frame) = read_frame(&mut client_rd).await {
            if frame.len() >= 12 {
                let api = i16::from_be_bytes([frame[4], frame[5]]);
                let corr = i32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]);
                if api == PRODUCE {
                    ids.lock().unwrap().insert(corr);
                }
            }
            if up_wr.write_all(&frame).await.is_err() {
                return;
            }
        }
    });

    while let Some(frame) = read_frame(&mut up_rd).await {
        let corr = if frame.len() >= 8 {
            i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]])
        } else {
            -1
        };
        if produce_ids.lock().unwrap().remove(&corr) {
            let n = counters.produce_responses.fetch_add(1, Ordering::SeqCst) + 1;
            if plan.contains(&n) {
                counters.cuts.fetch_add(1, Ordering::SeqCst);
                break;
            }
        }
        if client_wr.write_all(&frame).await.is_err() {
            break;
        }
    }
    // Dropping every half closes both sockets: the client sees the
    // connection die with its request unanswered.
    requests.abort();
    let _ = requests.await;
}
