//! Preprocessing shared by all families (handcrafted-features.md §2):
//! isolated-pixel removal on the mask and the interference-based speckle
//! filter (ISF, Cardoso, Matsumoto & Furuie 2012) built from the circular
//! hybrid median filter (CHMF, Gómez & Pereira 2017) with window 9.

/// The "diagonal" CHMF sub-window `WD` (36 offsets) of §2.4, rows = row
/// offset −4..4, columns = column offset −4..4.
const WD: [[u8; 9]; 9] = [
    [0, 0, 1, 0, 0, 0, 1, 0, 0],
    [0, 1, 1, 0, 0, 0, 1, 1, 0],
    [1, 1, 1, 1, 0, 1, 1, 1, 1],
    [0, 0, 1, 1, 0, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 1, 0, 1, 1, 0, 0],
    [1, 1, 1, 1, 0, 1, 1, 1, 1],
    [0, 1, 1, 0, 0, 0, 1, 1, 0],
    [0, 0, 1, 0, 0, 0, 1, 0, 0],
];

/// The remaining CHMF sub-window `WR` (32 offsets) of §2.4; the centre pixel
/// belongs to neither sub-window.
const WR: [[u8; 9]; 9] = [
    [0, 0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 0, 0, 1, 0, 0, 0, 0],
    [1, 1, 0, 0, 1, 0, 0, 1, 1],
    [1, 1, 1, 1, 0, 1, 1, 1, 1],
    [1, 1, 0, 0, 1, 0, 0, 1, 1],
    [0, 0, 0, 0, 1, 0, 0, 0, 0],
    [0, 0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 0, 1, 1, 1, 0, 0, 0],
];

/// Removes isolated lesion pixels (no 8-neighbour in the mask), as BUSAT's
/// mask cleaning (`bwmorph(.., 'clean')`) does (§2.3).
pub fn remove_isolated(width: usize, height: usize, mask: &[bool]) -> Vec<bool> {
    let mut out = mask.to_vec();
    for r in 0..height {
        for c in 0..width {
            if !mask[r * width + c] {
                continue;
            }
            let mut any = false;
            'n: for dr in -1isize..=1 {
                for dc in -1isize..=1 {
                    if dr == 0 && dc == 0 {
                        continue;
                    }
                    let (rr, cc) = (r as isize + dr, c as isize + dc);
                    if rr >= 0
                        && cc >= 0
                        && (rr as usize) < height
                        && (cc as usize) < width
                        && mask[rr as usize * width + cc as usize]
                    {
                        any = true;
                        break 'n;
                    }
                }
            }
            if !any {
                out[r * width + c] = false;
            }
        }
    }
    out
}

/// Index into `0..n` of position `i` after mirror extension that repeats the
/// edge pixel (`… c b a | a b c …`, MATLAB `padarray(.., 'symmetric')`),
/// folded repeatedly so that any `n ≥ 1` works.
pub(crate) fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let period = 2 * n;
    let m = i.rem_euclid(period);
    (if m < n { m } else { period - 1 - m }) as usize
}

/// Median of three values.
fn med3(a: u8, b: u8, c: u8) -> u8 {
    a.min(b).max(a.max(b).min(c))
}

/// Pixels filtered together by [`chmf`]: the selection below runs on this
/// many lanes at once, which the compiler turns into SIMD byte compares.
const LANES: usize = 64;

/// `k`-th smallest (0-based) of the values at `offsets` around each of
/// [`LANES`] consecutive pixels starting at `base`, by a bitwise radix
/// search: bit by bit from the top, keep the candidate `t` whenever at most
/// `k` values are below it. Exact, and branch-free across lanes.
#[inline(always)]
fn kth_smallest_lanes(pad: &[u8], base: usize, offsets: &[usize], k: u8) -> [u8; LANES] {
    let mut ans = [0u8; LANES];
    for bit in (0..8).rev() {
        let mut t = [0u8; LANES];
        for (ti, &a) in t.iter_mut().zip(&ans) {
            *ti = a | (1 << bit);
        }
        let mut cnt = [0u8; LANES];
        for &o in offsets {
            // The slice is base + o .. base + o + LANES: exactly LANES bytes.
            let s: &[u8; LANES] = pad[base + o..base + o + LANES]
                .try_into()
                .expect("LANES bytes");
            for i in 0..LANES {
                cnt[i] = cnt[i].wrapping_add(u8::from(s[i] < t[i]));
            }
        }
        // Branch-free select (a per-lane `if` compiles to byte extracts and
        // jumps): set the bit where at most k values lie below t.
        let b = 1u8 << bit;
        for (a, &n) in ans.iter_mut().zip(&cnt) {
            *a |= b & 0u8.wrapping_sub(u8::from(n <= k));
        }
    }
    ans
}

/// Circular hybrid median filter with window 9 (§2.4): the median of the
/// pixel, the lower median of `WD` (18th smallest of 36) and the lower median
/// of `WR` (16th smallest of 32), over the mirror-extended image.
///
/// Hand-written (no image crate offers CHMF); the order statistics are taken
/// [`LANES`] pixels at a time by [`kth_smallest_lanes`], exact for 8-bit data.
pub fn chmf(width: usize, height: usize, img: &[u8]) -> Vec<u8> {
    chmf_impl(width, height, img, true)
}

/// [`chmf`], with the AVX2 path allowed or not (tests run both).
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
fn chmf_impl(width: usize, height: usize, img: &[u8], allow_avx2: bool) -> Vec<u8> {
    // Offsets of the two sub-windows into the padded image.
    let pw = width + 8;
    let mut wd = Vec::with_capacity(36);
    let mut wr = Vec::with_capacity(32);
    for (dr, (rd, rr)) in WD.iter().zip(WR.iter()).enumerate() {
        for dc in 0..9 {
            if rd[dc] == 1 {
                wd.push(dr * pw + dc);
            }
            if rr[dc] == 1 {
                wr.push(dr * pw + dc);
            }
        }
    }
    debug_assert_eq!((wd.len(), wr.len()), (36, 32));
    let ph = height + 8;
    // LANES spare bytes at the end so the last chunk can read a full block.
    let mut pad = vec![0u8; pw * ph + LANES];
    for r in 0..ph {
        let sr = reflect(r as isize - 4, height);
        for c in 0..pw {
            pad[r * pw + c] = img[sr * width + reflect(c as isize - 4, width)];
        }
    }
    let mut out = vec![0u8; width * height];
    let job = Chmf {
        pad: &pad,
        pw,
        width,
        height,
        img,
        wd: &wd,
        wr: &wr,
    };
    #[cfg(target_arch = "x86_64")]
    if allow_avx2 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { job.run_avx2(&mut out) };
        return out;
    }
    job.run(&mut out);
    out
}

/// The inputs of one CHMF pass over the padded image.
struct Chmf<'a> {
    pad: &'a [u8],
    pw: usize,
    width: usize,
    height: usize,
    img: &'a [u8],
    wd: &'a [usize],
    wr: &'a [usize],
}

impl Chmf<'_> {
    /// Filters every pixel into `out`, [`LANES`] pixels of a row at a time.
    #[inline(always)]
    fn run(&self, out: &mut [u8]) {
        for r in 0..self.height {
            for c0 in (0..self.width).step_by(LANES) {
                let n = LANES.min(self.width - c0);
                let base = r * self.pw + c0;
                let f1 = kth_smallest_lanes(self.pad, base, self.wd, 17);
                let f2 = kth_smallest_lanes(self.pad, base, self.wr, 15);
                for i in 0..n {
                    let o = r * self.width + c0 + i;
                    out[o] = med3(self.img[o], f1[i], f2[i]);
                }
            }
        }
    }

    /// [`Chmf::run`] compiled for AVX2 (32-byte compares): the same code,
    /// about twice the throughput where the CPU has it.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2(&self, out: &mut [u8]) {
        self.run(out)
    }
}

/// Interference-based speckle filter (§2.4): `G = CHMF(I)`, `H = max(I, G)`,
/// `U = CHMF(H)`. All 544 features are computed on `U`.
pub fn isf(width: usize, height: usize, img: &[u8]) -> Vec<u8> {
    let g = chmf(width, height, img);
    let h: Vec<u8> = img.iter().zip(&g).map(|(&a, &b)| a.max(b)).collect();
    chmf(width, height, &h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_windows_partition_the_radius_5_disk() {
        // Hand check of §2.4: WD ∪ WR ∪ {centre} = {dr² + dc² < 25}, 69 pixels.
        let mut n = 0;
        for r in 0..9 {
            for c in 0..9 {
                let (dr, dc) = (r as i32 - 4, c as i32 - 4);
                let inside = dr * dr + dc * dc < 25;
                let centre = (dr, dc) == (0, 0);
                assert!(WD[r][c] + WR[r][c] <= 1);
                assert_eq!(inside && !centre, WD[r][c] + WR[r][c] == 1, "({dr},{dc})");
                n += inside as usize;
            }
        }
        assert_eq!(n, 69);
    }

    #[test]
    fn reflect_repeats_the_edge_pixel() {
        let idx: Vec<usize> = (-3..6).map(|i| reflect(i, 3)).collect();
        assert_eq!(idx, vec![2, 1, 0, 0, 1, 2, 2, 1, 0]);
        assert_eq!(reflect(-2, 1), 0);
    }

    #[test]
    fn isolated_pixels_go_diagonal_pairs_stay() {
        #[rustfmt::skip]
        let m = [
            true,  false, false, false,
            false, false, false, false,
            false, false, true,  false,
            false, false, false, true,
        ];
        let out = remove_isolated(4, 4, &m);
        let expect: Vec<bool> = (0..16).map(|i| i == 10 || i == 15).collect();
        assert_eq!(out, expect);
    }

    #[test]
    fn chmf_removes_a_single_bright_pixel_and_keeps_constants() {
        // One bright pixel in a flat field: f1 = f2 = 10, so median{200,10,10} = 10.
        let mut img = vec![10u8; 11 * 11];
        img[5 * 11 + 5] = 200;
        let out = chmf(11, 11, &img);
        assert!(out.iter().all(|&v| v == 10));
    }

    #[test]
    fn chmf_keeps_a_vertical_step_edge() {
        // Hand derivation: at a pixel just left of a vertical step (columns ≤ 5
        // are 0, > 5 are 100), WD has 12 of 36 offsets with dc ≥ 1, so its 18th
        // smallest is 0; the pixel itself is 0, so the output is 0. Just right
        // of the step (dc ≤ −1 is dark: 12 of 36 in WD), f1 = 100 and the pixel
        // is 100. The edge is preserved exactly.
        let (w, h) = (12, 9);
        let img: Vec<u8> = (0..w * h)
            .map(|i| if i % w > 5 { 100 } else { 0 })
            .collect();
        assert_eq!(chmf(w, h, &img), img);
    }

    /// CHMF by sorting each sub-window, straight from §2.4's definition.
    fn chmf_by_sorting(width: usize, height: usize, img: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; width * height];
        for r in 0..height {
            for c in 0..width {
                let (mut d, mut w) = (Vec::new(), Vec::new());
                for dr in 0..9 {
                    for dc in 0..9 {
                        let rr = reflect(r as isize + dr as isize - 4, height);
                        let cc = reflect(c as isize + dc as isize - 4, width);
                        let v = img[rr * width + cc];
                        if WD[dr][dc] == 1 {
                            d.push(v);
                        }
                        if WR[dr][dc] == 1 {
                            w.push(v);
                        }
                    }
                }
                d.sort_unstable();
                w.sort_unstable();
                let mut three = [img[r * width + c], d[17], w[15]];
                three.sort_unstable();
                out[r * width + c] = three[1];
            }
        }
        out
    }

    #[test]
    fn chmf_equals_sorting_on_noise() {
        // Deterministic pseudo-random bytes (an LCG), sizes that exercise a
        // partial last chunk and images narrower than the window.
        let mut x = 12345u32;
        for (w, h) in [(70, 9), (3, 5), (130, 4)] {
            let img: Vec<u8> = (0..w * h)
                .map(|_| {
                    x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                    (x >> 24) as u8
                })
                .collect();
            let want = chmf_by_sorting(w, h, &img);
            assert_eq!(chmf(w, h, &img), want, "{w}×{h}");
            assert_eq!(chmf_impl(w, h, &img, false), want, "{w}×{h} portable");
        }
    }

    #[test]
    fn chmf_hand_derived_ramp_pixel() {
        // Image value = column index (0..8) on a 9×9 image. At the centre
        // pixel (col 4), WD's column offsets are symmetric (18 left, 18 right
        // of centre, none in the centre column), so its 18th smallest is the
        // largest of the left half: column offset −1 → 3. WR has the centre
        // column (8 pixels, value 4) plus 12 left and 12 right; its 16th
        // smallest is 4. median{4, 3, 4} = 4.
        let img: Vec<u8> = (0..81).map(|i| (i % 9) as u8).collect();
        assert_eq!(chmf(9, 9, &img)[40], 4);
        // At the top-left corner the mirror maps column offsets −4..4 to
        // columns 3,2,1,0,0,1,2,3,4. WD's per-column counts are 2,4,8,4,0,4,8,4,2,
        // so its sorted values are 0×4, 1×12, 2×12, 3×6, 4×2: 18th smallest = 2.
        // WR's counts are 3,3,1,5,8,5,1,3,3: values 0×13, 1×6, …: 16th = 1.
        // median{0, 2, 1} = 1.
        assert_eq!(chmf(9, 9, &img)[0], 1);
    }
}
