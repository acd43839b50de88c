//! R's default random number generator, so that resamples and folds can be
//! drawn exactly as R draws them after `set.seed(s)` (`sample(n, replace =
//! TRUE)` for `rms::validate`/`calibrate`, cv.glmnet's folds in dlrn-lasso).
//!
//! R (>= 3.6) defaults to `RNGkind("Mersenne-Twister", "Inversion",
//! "Rejection")`. This module follows R's sources:
//! - `src/main/RNG.c`: `RNG_Init` (the seed scrambled 50 times by the
//!   Knuth TAOCP linear congruential step `seed = 69069 * seed + 1`, then 625
//!   further steps fill `dummy[0..625]`, of which `dummy[0]` is `mti` and is
//!   reset to 624 by `FixupSeeds`), `MT_genrand` (Matsumoto and Nishimura's
//!   MT19937 with tempering), `fixup` (0 and 1 are never returned) and
//!   `unif_rand`;
//! - `src/main/RNG.c`: `rbits` and `R_unif_index` (the "Rejection" sample
//!   kind: integers below the next power of two, built from 16-bit chunks,
//!   rejected until below n);
//! - `src/main/random.c`: `do_sample` without weights: without replacement
//!   a partial Fisher–Yates draw that moves the last element into the drawn
//!   slot; with replacement one `R_unif_index(n) + 1` per draw.
//!
//! No global state: the generator is a value the caller owns.

/// Words of Mersenne-Twister state (`N` in `RNG.c`).
const MT_N: usize = 624;
/// The twist offset (`M` in `RNG.c`).
const MT_M: usize = 397;
/// `i2_32m1 = 1/(2^32 - 1)`, used by `RNG.c`'s `fixup`.
const I2_32M1: f64 = 2.328306437080797e-10;
/// `2^-32`, `MT_genrand`'s scale from a 32-bit word to [0, 1).
const TWO_POW_M32: f64 = 2.3283064365386963e-10;

/// R's Mersenne-Twister in the state `set.seed(seed)` leaves it.
///
/// Successive [`RRng::unif_rand`] values are R's `runif(n)` after
/// `set.seed(seed)` (default `RNGkind`); [`RRng::sample`] is `sample.int`.
#[derive(Debug, Clone)]
pub struct RRng {
    mt: [u32; MT_N],
    /// Index of the next word to temper (`mti`, stored by R in `dummy[0]`).
    mti: usize,
}

impl RRng {
    /// `set.seed(seed)` with R's default kind (`RNG_Init` then `FixupSeeds`).
    ///
    /// R converts the seed to its C type `Int32` (an unsigned 32-bit word),
    /// so a negative seed wraps as in C.
    pub fn set_seed(seed: i32) -> Self {
        let lcg = |s: u32| s.wrapping_mul(69069).wrapping_add(1);
        let mut s = seed as u32;
        // Initial scrambling.
        for _ in 0..50 {
            s = lcg(s);
        }
        // dummy[0] (mti) is filled first and then overwritten by FixupSeeds
        // (`I624 = 624` when initial), so its value is drawn and discarded.
        s = lcg(s);
        let mut mt = [0u32; MT_N];
        for w in &mut mt {
            s = lcg(s);
            *w = s;
        }
        RRng { mt, mti: MT_N }
    }

    /// `MT_genrand()`: the next tempered 32-bit word times 2^-32, in [0, 1).
    fn mt_genrand(&mut self) -> f64 {
        const MATRIX_A: u32 = 0x9908_b0df;
        const UPPER_MASK: u32 = 0x8000_0000;
        const LOWER_MASK: u32 = 0x7fff_ffff;
        const TEMPERING_MASK_B: u32 = 0x9d2c_5680;
        const TEMPERING_MASK_C: u32 = 0xefc6_0000;
        let mag01 = |y: u32| if y & 1 == 1 { MATRIX_A } else { 0 };
        if self.mti >= MT_N {
            // Generate N words at one time.
            let mt = &mut self.mt;
            for kk in 0..MT_N - MT_M {
                let y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
                mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ mag01(y);
            }
            for kk in MT_N - MT_M..MT_N - 1 {
                let y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
                mt[kk] = mt[kk + MT_M - MT_N] ^ (y >> 1) ^ mag01(y);
            }
            let y = (mt[MT_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
            mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01(y);
            self.mti = 0;
        }
        let mut y = self.mt[self.mti];
        self.mti += 1;
        y ^= y >> 11;
        y ^= (y << 7) & TEMPERING_MASK_B;
        y ^= (y << 15) & TEMPERING_MASK_C;
        y ^= y >> 18;
        f64::from(y) * TWO_POW_M32
    }

    /// `unif_rand()`: one uniform in (0, 1), R's `runif(1)`.
    pub fn unif_rand(&mut self) -> f64 {
        // RNG.c's fixup: ensure 0 and 1 are never returned.
        let x = self.mt_genrand();
        if x <= 0.0 {
            0.5 * I2_32M1
        } else if 1.0 - x <= 0.0 {
            1.0 - 0.5 * I2_32M1
        } else {
            x
        }
    }

    /// `rbits(bits)`: a non-negative integer below 2^bits from 16-bit chunks.
    fn rbits(&mut self, bits: u32) -> u64 {
        let mut v: u64 = 0;
        let mut n = 0;
        while n <= bits {
            let v1 = (self.unif_rand() * 65536.0).floor() as u64;
            v = v.wrapping_mul(65536).wrapping_add(v1);
            n += 16;
        }
        v & ((1u64 << bits) - 1)
    }

    /// `R_unif_index(dn)` with the "Rejection" sample kind (R >= 3.6): a
    /// uniform integer in 0..n. Draws even when n is 1, as R does.
    pub fn unif_index(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let dn = n as f64;
        let bits = dn.log2().ceil() as u32;
        loop {
            let dv = self.rbits(bits);
            if (dv as f64) < dn {
                return dv as usize;
            }
        }
    }

    /// `sample.int(n, size)` without replacement and without weights
    /// (`do_sample`): 1-based draws. `None` when `size > n` (R's error
    /// "cannot take a sample larger than the population").
    pub fn sample(&mut self, n: usize, size: usize) -> Option<Vec<usize>> {
        (size <= n).then(|| self.draw(n, size))
    }

    /// `sample.int(n, size, replace = TRUE)` without weights (`do_sample`):
    /// `size` 1-based draws, each `R_unif_index(n) + 1`.
    pub fn sample_replace(&mut self, n: usize, size: usize) -> Vec<usize> {
        (0..size).map(|_| self.unif_index(n) + 1).collect()
    }

    /// do_sample's draw of `size <= n` of 1..=n.
    fn draw(&mut self, n: usize, size: usize) -> Vec<usize> {
        if size < 2 {
            // do_sample's shortcut for a single draw (same stream use).
            return (0..size).map(|_| self.unif_index(n) + 1).collect();
        }
        let mut x: Vec<usize> = (0..n).collect();
        let mut left = n;
        let mut out = Vec::with_capacity(size);
        for _ in 0..size {
            let j = self.unif_index(left);
            out.push(x[j] + 1);
            left -= 1;
            x[j] = x[left];
        }
        out
    }

    /// `sample(x)`: a random permutation of `x` (`x[sample.int(length(x))]`).
    ///
    /// R's `sample` treats a single number `x >= 1` as `1:x`; callers that
    /// pass one element get that element back (as `sample(1)` would give 1).
    pub fn permute<T: Clone>(&mut self, x: &[T]) -> Vec<T> {
        self.draw(x.len(), x.len())
            .into_iter()
            .map(|i| x[i - 1].clone())
            .collect()
    }
}

/// The bootstrap resamples of `rms::predab.resample` (method "boot", no
/// cluster or group) after `set.seed(seed)`: `b` draws of
/// `sample(n, replace = TRUE)` in turn, as 0-based row indices.
pub fn bootstrap_resamples(seed: i32, n: usize, b: usize) -> Vec<Vec<usize>> {
    let mut rng = RRng::set_seed(seed);
    (0..b)
        .map(|_| {
            rng.sample_replace(n, n)
                .into_iter()
                .map(|i| i - 1)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scrambled state by hand: seed 0 after 51 LCG steps; the first
    /// word of the state is the 52nd step.
    #[test]
    fn set_seed_fills_the_state_with_the_lcg() {
        let mut s: u32 = 0;
        for _ in 0..52 {
            s = s.wrapping_mul(69069).wrapping_add(1);
        }
        let r = RRng::set_seed(0);
        assert_eq!(r.mt[0], s);
        assert_eq!(r.mt[1], s.wrapping_mul(69069).wrapping_add(1));
        assert_eq!(r.mti, MT_N);
    }

    #[test]
    fn unif_index_of_one_still_draws() {
        let mut a = RRng::set_seed(3);
        let mut b = RRng::set_seed(3);
        assert_eq!(a.unif_index(1), 0);
        b.unif_rand();
        assert_eq!(a.unif_rand(), b.unif_rand());
    }

    #[test]
    fn sample_is_a_permutation_and_refuses_oversize() {
        let mut r = RRng::set_seed(42);
        let mut p = r.sample(37, 37).unwrap();
        p.sort_unstable();
        assert_eq!(p, (1..=37).collect::<Vec<_>>());
        assert!(r.sample(3, 4).is_none());
    }
}
