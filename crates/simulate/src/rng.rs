//! Independent random streams: one ChaCha8 key per seed, one stream per
//! (cohort, purpose, index), so a patient's draws never depend on how many
//! patients came before it or on which thread renders it.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for (part of the stream id).
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub(crate) enum Purpose {
    /// Cohort-level shuffles of the exactly allocated categorical columns.
    Columns = 1,
    /// The exact-count ALN label draw.
    Labels = 2,
    /// Choosing the ICC subset.
    Icc = 3,
    /// A patient's continuous clinical values and latent aggressiveness.
    Patient = 4,
    /// A patient's image (anatomy, lesion, speckle).
    Image = 5,
    /// Reader 1's repeat outline.
    Reader1 = 6,
    /// Reader 2's outline.
    Reader2 = 7,
    /// The radiologists' reads (readers.csv).
    Readers = 8,
}

/// The stream for (seed, cohort, purpose, index): ChaCha8 keyed by
/// `seed_from_u64(seed)`, stream number cohort << 56 | purpose << 48 | index.
pub(crate) fn stream(seed: u64, cohort: usize, purpose: Purpose, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let id = ((cohort as u64 & 0xff) << 56)
        | ((purpose as u64) << 48)
        | (index as u64 & 0xffff_ffff_ffff);
    rng.set_stream(id);
    rng
}
