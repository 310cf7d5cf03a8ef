//! Producer-id blocks (KRaft's AllocateProducerIds): a broker asks for a
//! block of ids and hands them to idempotent producers on its own. The block
//! is committed before it is returned, so a controller restart continues
//! after it and no id is ever handed out twice.

use super::Controller;
use crate::error::ControllerError;
use crate::records::{MetadataRecord, ProducerIdsRecord};
use crate::types::{BrokerEpoch, BrokerId};

/// Ids per block, Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
pub const PRODUCER_ID_BLOCK_SIZE: i32 = 1000;

/// A range of producer ids owned by one broker: `first_id ..
/// first_id + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdBlock {
    pub broker: BrokerId,
    pub first_id: i64,
    pub len: i32,
}

impl ProducerIdBlock {
    /// The last id of the block (inclusive).
    pub fn last_id(&self) -> i64 {
        self.first_id + i64::from(self.len) - 1
    }

    /// First id after the block.
    pub fn end(&self) -> i64 {
        self.first_id + i64::from(self.len)
    }
}

impl Controller {
    /// Allocates the next block of [`PRODUCER_ID_BLOCK_SIZE`] producer ids
    /// to `broker`, which must be registered with `broker_epoch` (Kafka
    /// answers STALE_BROKER_EPOCH otherwise, so a broker that restarted
    /// cannot be confused with its previous incarnation). The block is
    /// durable before this returns.
    pub fn allocate_producer_ids(
        &mut self,
        broker: BrokerId,
        broker_epoch: BrokerEpoch,
    ) -> Result<ProducerIdBlock, ControllerError> {
        let current = self.image.broker(broker).map(|b| b.epoch);
        if current != Some(broker_epoch) {
            return Err(ControllerError::StaleBrokerEpoch {
                broker,
                current,
                got: broker_epoch,
            });
        }
        let first_id = self.image.next_producer_id();
        let next_producer_id = first_id
            .checked_add(i64::from(PRODUCER_ID_BLOCK_SIZE))
            .ok_or(ControllerError::ProducerIdsExhausted { next: first_id })?;
        self.commit(vec![MetadataRecord::ProducerIds(ProducerIdsRecord {
            broker,
            broker_epoch,
            next_producer_id,
        })])?;
        let block = ProducerIdBlock {
            broker,
            first_id,
            len: PRODUCER_ID_BLOCK_SIZE,
        };
        tracing::info!(
            broker = %broker,
            first_id = block.first_id,
            last_id = block.last_id(),
            "allocated producer id block"
        );
        Ok(block)
    }
}
