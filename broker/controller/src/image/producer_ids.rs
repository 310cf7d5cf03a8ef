//! Producer-id blocks in the image (KRaft's `ProducerIdControlManager`
//! replay side): the image keeps the latest allocation, whose
//! `next_producer_id` is where the next block starts.

use super::MetadataImage;
use crate::error::ApplyError;
use crate::records::ProducerIdsRecord;

impl MetadataImage {
    /// First producer id of the next block to hand out (0 before any).
    pub fn next_producer_id(&self) -> i64 {
        self.producer_ids.as_ref().map_or(0, |r| r.next_producer_id)
    }

    /// The latest producer-id allocation, if any.
    pub fn producer_ids(&self) -> Option<&ProducerIdsRecord> {
        self.producer_ids.as_ref()
    }

    /// Ids must only ever move forward: a record that does not advance
    /// `next_producer_id` could hand out ids a second time. The one
    /// exception is restating the current record exactly (a snapshot applied
    /// as a diff), which changes nothing.
    pub(super) fn apply_producer_ids(&mut self, r: &ProducerIdsRecord) -> Result<(), ApplyError> {
        if r.next_producer_id < 0 {
            return Err(ApplyError::Invalid(format!(
                "producer ids record with negative next producer id {}",
                r.next_producer_id
            )));
        }
        match &self.producer_ids {
            Some(current) if current == r => Ok(()),
            Some(current) if r.next_producer_id <= current.next_producer_id => {
                Err(ApplyError::ProducerIdRegression {
                    current: current.next_producer_id,
                    new: r.next_producer_id,
                })
            }
            _ => {
                self.producer_ids = Some(r.clone());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ApplyError;
    use crate::image::MetadataImage;
    use crate::records::{MetadataRecord, ProducerIdsRecord};
    use crate::types::{BrokerEpoch, BrokerId};

    fn rec(broker: i32, epoch: i64, next: i64) -> MetadataRecord {
        MetadataRecord::ProducerIds(ProducerIdsRecord {
            broker: BrokerId(broker),
            broker_epoch: BrokerEpoch(epoch),
            next_producer_id: next,
        })
    }

    #[test]
    fn starts_at_zero_and_only_moves_forward() {
        let mut img = MetadataImage::new();
        assert_eq!(img.next_producer_id(), 0);
        img.apply(&rec(1, 5, 1000)).unwrap();
        img.apply(&rec(2, 7, 2000)).unwrap();
        assert_eq!(img.next_producer_id(), 2000);
        assert_eq!(img.producer_ids().unwrap().broker, BrokerId(2));

        let before = img.clone();
        for bad in [rec(1, 5, 1000), rec(3, 9, 2000), rec(1, 5, 1999)] {
            let err = img.apply(&bad).unwrap_err();
            assert!(
                matches!(err, ApplyError::ProducerIdRegression { current: 2000, .. }),
                "{err}"
            );
        }
        assert!(img.apply(&rec(1, 5, -1)).is_err());
        assert_eq!(img, before, "refused records leave the image unchanged");
    }

    #[test]
    fn exact_restatement_is_a_no_op() {
        let mut img = MetadataImage::new();
        img.apply(&rec(1, 5, 3000)).unwrap();
        img.apply(&rec(1, 5, 3000)).unwrap();
        assert_eq!(img.next_producer_id(), 3000);
    }

    #[test]
    fn survives_a_snapshot() {
        let mut img = MetadataImage::new();
        img.apply(&rec(4, 1, 7000)).unwrap();
        let snap = img.to_snapshot_records();
        let back = MetadataImage::from_snapshot(&snap, img.metadata_offset()).unwrap();
        assert_eq!(back, img);
        assert_eq!(back.next_producer_id(), 7000);
        // A snapshot applied as a diff on top of the same state is accepted.
        let mut same = img.clone();
        for r in &snap {
            same.apply(r).unwrap();
        }
        assert_eq!(same.next_producer_id(), 7000);
    }
}
