//! A minimal Kafka-protocol client over a raw TCP socket, for APIs rdkafka
//! does not expose and for sending malformed frames on purpose.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct RawClient {
    pub stream: TcpStream,
    correlation: i32,
}

impl RawClient {
    pub async fn connect(addr: &str) -> RawClient {
        RawClient {
            stream: TcpStream::connect(addr).await.unwrap(),
            correlation: 0,
        }
    }

    /// Encodes header + body for `api`/`version`.
    pub fn encode<Req: Encodable + HeaderVersion>(
        api: ApiKey,
        version: i16,
        correlation: i32,
        req: &Req,
    ) -> Bytes {
        let mut body = BytesMut::new();
        let header = RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(StrBytes::from_static_str("raw-test")));
        header.encode(&mut body, Req::header_version(version)).unwrap();
        req.encode(&mut body, version).unwrap();
        body.freeze()
    }

    pub async fn send_frame(&mut self, frame: &[u8]) -> std::io::Result<()> {
        let mut buf = BytesMut::with_capacity(frame.len() + 4);
        buf.put_i32(frame.len() as i32);
        buf.extend_from_slice(frame);
        self.stream.write_all(&buf).await
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Reads one response frame; `None` if the server closed the connection.
    pub async fn read_frame(&mut self) -> Option<Bytes> {
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).await.ok()?;
        let n = i32::from_be_bytes(len) as usize;
        let mut buf = vec![0u8; n];
        self.stream.read_exact(&mut buf).await.ok()?;
        Some(Bytes::from(buf))
    }

    /// Sends a request and decodes its response (response header version per
    /// the API, ApiVersions always v0).
    pub async fn call<Req, Resp>(&mut self, api: ApiKey, version: i16, req: &Req) -> Resp
    where
        Req: Encodable + HeaderVersion,
        Resp: Decodable + HeaderVersion,
    {
        self.correlation += 1;
        let frame = Self::encode(api, version, self.correlation, req);
        self.send_frame(&frame).await.unwrap();
        let mut resp = self.read_frame().await.expect("connection closed");
        let hv = if api == ApiKey::ApiVersions {
            0
        } else {
            Resp::header_version(version)
        };
        let header = ResponseHeader::decode(&mut resp, hv).unwrap();
        assert_eq!(header.correlation_id, self.correlation);
        let out = Resp::decode(&mut resp, version).unwrap();
        assert_eq!(resp.remaining(), 0, "trailing bytes in response");
        out
    }

    /// True if the server closed the connection (read returns EOF/error).
    pub async fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(5), self.stream.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}
