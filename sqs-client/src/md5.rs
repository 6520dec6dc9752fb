//! MD5 (RFC 1321), for the digests SQS puts on messages.
//!
//! Here because the digests are integrity checks on every message, not security, and the whole
//! algorithm is smaller than the five crates a generic implementation brings into a user's
//! build. Tested against the RFC's test suite and against the `md-5` crate.

/// `floor(abs(sin(i + 1)) * 2^32)` for i in 0..64 (RFC 1321, section 3.4).
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// Left-rotation amounts, four per round.
const S: [[u32; 4]; 4] = [
    [7, 12, 17, 22],
    [5, 9, 14, 20],
    [4, 11, 16, 23],
    [6, 10, 15, 21],
];

const INIT: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/// An MD5 computation fed piece by piece.
#[derive(Clone)]
pub(crate) struct Md5 {
    state: [u32; 4],
    pending: [u8; 64],
    pending_len: usize,
    total_len: u64,
}

impl Md5 {
    pub(crate) fn new() -> Self {
        Self {
            state: INIT,
            pending: [0; 64],
            pending_len: 0,
            total_len: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        if self.pending_len > 0 {
            let take = (64 - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < 64 {
                return;
            }
            let block = self.pending;
            compress(&mut self.state, &block);
            self.pending_len = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            compress(&mut self.state, block.try_into().unwrap_or(&[0; 64]));
        }
        let rest = blocks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    pub(crate) fn finalize(mut self) -> [u8; 16] {
        let bit_len = self.total_len.wrapping_mul(8);
        // A 1 bit, zeros up to 56 bytes into a block, then the length in bits (little-endian).
        let mut tail = [0u8; 72];
        tail[0] = 0x80;
        let pad = if self.pending_len < 56 {
            56 - self.pending_len
        } else {
            120 - self.pending_len
        };
        tail[pad..pad + 8].copy_from_slice(&bit_len.to_le_bytes());
        self.update(&tail[..pad + 8]);
        debug_assert_eq!(self.pending_len, 0);
        let mut out = [0u8; 16];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

/// The MD5 of `data`.
pub(crate) fn digest(data: &[u8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(data);
    md5.finalize()
}

/// One step: `a = b + ((a + f + k + m) <<< s)`.
#[inline(always)]
fn step(a: u32, b: u32, f: u32, k: u32, m: u32, s: u32) -> u32 {
    a.wrapping_add(f)
        .wrapping_add(k)
        .wrapping_add(m)
        .rotate_left(s)
        .wrapping_add(b)
}

fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (word, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
    // Four rounds of sixteen steps; each step rotates the roles of a, b, c and d.
    macro_rules! round {
        ($r:expr, $f:expr, $g:expr) => {
            for i in 0..16 {
                let n = $r * 16 + i;
                let f = $f(b, c, d);
                let next = step(a, b, f, K[n], m[$g(i)], S[$r][i % 4]);
                (a, b, c, d) = (d, next, b, c);
            }
        };
    }
    round!(0, |b: u32, c: u32, d: u32| (b & c) | (!b & d), |i| i);
    round!(1, |b: u32, c: u32, d: u32| (d & b) | (!d & c), |i| (5 * i
        + 1)
        % 16);
    round!(2, |b: u32, c: u32, d: u32| b ^ c ^ d, |i| (3 * i + 5) % 16);
    round!(3, |b: u32, c: u32, d: u32| c ^ (b | !d), |i| (7 * i) % 16);
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

#[cfg(test)]
mod tests {
    use md5_oracle::Digest as _;

    use super::*;

    fn hex(bytes: &[u8]) -> String {
        let mut out = String::new();
        crate::auth::push_hex(&mut out, bytes);
        out
    }

    #[test]
    fn the_rfc_test_suite() {
        for (input, expected) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            assert_eq!(hex(&digest(input.as_bytes())), expected, "{input:?}");
        }
    }

    #[test]
    fn agrees_with_the_md5_crate_at_every_length_and_split() {
        let data: Vec<u8> = (0..1200u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in (0..200).chain([255, 256, 511, 512, 1023, 1024, 1025, 1200]) {
            let input = &data[..len];
            let theirs = md5_oracle::Md5::digest(input);
            assert_eq!(digest(input).as_slice(), theirs.as_slice(), "length {len}");
            // The same bytes in pieces of every size from 1 to 70.
            for piece in [1, 3, 55, 56, 63, 64, 65, 70] {
                let mut md5 = Md5::new();
                for chunk in input.chunks(piece) {
                    md5.update(chunk);
                }
                assert_eq!(
                    md5.finalize().as_slice(),
                    theirs.as_slice(),
                    "length {len} in pieces of {piece}"
                );
            }
        }
    }
}
