//! What the model sees for a coalition of segments: each present segment keeps the image's
//! pixels, each absent one takes the baseline's (Clarify: "segment j present ⇒ original
//! pixels, absent ⇒ the baseline image's pixels").

use super::decode::Rgb;
use super::slic::Segments;

/// An image, its baseline (same size) and its segments as runs of pixels: a coalition's
/// image is the baseline with the present segments' runs copied over (a few thousand small
/// copies for a 224 × 224 image, not a branch per pixel).
pub struct Masker<'a> {
    image: &'a Rgb,
    baseline: &'a Rgb,
    /// Per segment label − 1: its horizontal runs as byte ranges (start, end).
    runs: Vec<Vec<(usize, usize)>>,
}

impl<'a> Masker<'a> {
    pub fn new(image: &'a Rgb, baseline: &'a Rgb, segments: &Segments) -> Self {
        let mut runs = vec![Vec::new(); segments.segments];
        let w = segments.width.max(1);
        for (y, row) in segments.labels.chunks(w).enumerate() {
            let mut start = 0;
            for x in 1..=row.len() {
                if x == row.len() || row[x] != row[start] {
                    let at = (y * w + start) * 3;
                    runs[row[start] as usize - 1].push((at, at + (x - start) * 3));
                    start = x;
                }
            }
        }
        Self {
            image,
            baseline,
            runs,
        }
    }

    /// Appends the masked image for `present[segment - 1]` to `out` (straight into a
    /// request's body, no copy in between).
    pub fn masked_into(&self, present: &[bool], out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&self.baseline.pixels);
        let dst = &mut out[at..];
        for (runs, _) in self.runs.iter().zip(present).filter(|(_, p)| **p) {
            for &(a, b) in runs {
                dst[a..b].copy_from_slice(&self.image.pixels[a..b]);
            }
        }
    }
}

/// The baseline for `image`: the configured baseline resized to its size (bilinear), else
/// uniform noise seeded by the image's name, so a rerun sends the same requests.
pub fn baseline_for(image: &Rgb, configured: Option<&Rgb>, name: &str) -> Rgb {
    match configured {
        Some(b) if (b.height, b.width) == (image.height, image.width) => b.clone(),
        Some(b) => {
            let src = image::RgbImage::from_raw(b.width as u32, b.height as u32, b.pixels.clone())
                .unwrap_or_default();
            let resized = image::imageops::resize(
                &src,
                image.width as u32,
                image.height as u32,
                image::imageops::FilterType::Triangle,
            );
            Rgb {
                height: image.height,
                width: image.width,
                pixels: resized.into_raw(),
            }
        }
        None => {
            let mut rng =
                crate::stats::rng::Rng::seeded(xxhash_rust::xxh3::xxh3_64(name.as_bytes()));
            let pixels = (0..image.pixels.len())
                .map(|_| (rng.next_u64() >> 56) as u8)
                .collect();
            Rgb {
                height: image.height,
                width: image.width,
                pixels,
            }
        }
    }
}

/// What the model sees for a coalition when one detected object is explained: inside the
/// object's box each segment is the image's or the baseline's by the coalition; outside it
/// the image is kept with weight `context` and the baseline takes the rest (1: nothing
/// outside the box is masked, 0: everything is) — the same for every coalition. The players
/// are the segments with a pixel in the box.
pub struct ObjectMasker<'a> {
    image: &'a Rgb,
    baseline: &'a Rgb,
    segments: &'a Segments,
    /// Pixel box: x0..x1, y0..y1 (end exclusive).
    bounds: [usize; 4],
    /// The image outside the box, blended once.
    outside: Vec<u8>,
    /// Per segment label − 1: its player index, if it is one.
    player_of: Vec<Option<usize>>,
    /// The segment labels that play, ascending.
    pub players: Vec<u32>,
}

impl<'a> ObjectMasker<'a> {
    /// `bbox`: corners normalised to [0, 1].
    pub fn new(
        image: &'a Rgb,
        baseline: &'a Rgb,
        segments: &'a Segments,
        bbox: [f64; 4],
        context: f64,
    ) -> Self {
        let (h, w) = (image.height, image.width);
        let px = |v: f64, n: usize, up: bool| {
            let x = v.clamp(0.0, 1.0) * n as f64;
            (if up { x.ceil() } else { x.floor() }) as usize
        };
        let bounds = [
            px(bbox[0], w, false),
            px(bbox[1], h, false),
            px(bbox[2], w, true).max(px(bbox[0], w, false)),
            px(bbox[3], h, true).max(px(bbox[1], h, false)),
        ];
        let outside = image
            .pixels
            .iter()
            .zip(&baseline.pixels)
            .map(|(&o, &b)| (context * f64::from(o) + (1.0 - context) * f64::from(b)).round() as u8)
            .collect();
        let mut plays = vec![false; segments.segments];
        for y in bounds[1]..bounds[3] {
            for x in bounds[0]..bounds[2] {
                plays[segments.labels[y * w + x] as usize - 1] = true;
            }
        }
        let mut player_of = vec![None; segments.segments];
        let mut players = Vec::new();
        for (s, &p) in plays.iter().enumerate() {
            if p {
                player_of[s] = Some(players.len());
                players.push(s as u32 + 1);
            }
        }
        Self {
            image,
            baseline,
            segments,
            bounds,
            outside,
            player_of,
            players,
        }
    }

    /// Appends the masked image for `present[player]` to `out`.
    pub fn masked_into(&self, present: &[bool], out: &mut Vec<u8>) {
        let w = self.image.width;
        let at = out.len();
        out.extend_from_slice(&self.outside);
        let dst = &mut out[at..];
        for y in self.bounds[1]..self.bounds[3] {
            for x in self.bounds[0]..self.bounds[2] {
                let i = y * w + x;
                let seg = self.segments.labels[i] as usize - 1;
                let keep = self.player_of[seg].is_some_and(|p| present[p]);
                let src = if keep { self.image } else { self.baseline };
                dst[i * 3..i * 3 + 3].copy_from_slice(&src.pixels[i * 3..i * 3 + 3]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Masked<'a>(&'a Masker<'a>);

    impl Masked<'_> {
        fn masked(&self, present: &[bool]) -> Vec<u8> {
            let mut out = vec![9];
            self.0.masked_into(present, &mut out);
            assert_eq!(out.remove(0), 9, "appends after what the buffer holds");
            out
        }
    }

    #[test]
    fn present_segments_keep_the_image_and_absent_ones_show_the_baseline() {
        let image = Rgb::new(2, 3, (1..=18).collect()).unwrap();
        let baseline = Rgb::new(2, 3, vec![0; 18]).unwrap();
        let segments = Segments {
            height: 2,
            width: 3,
            labels: vec![1, 2, 2, 1, 1, 2],
            segments: 2,
        };
        let masker = Masker::new(&image, &baseline, &segments);
        let m = Masked(&masker);
        let only_1 = m.masked(&[true, false]);
        assert_eq!(
            only_1,
            [1, 2, 3, 0, 0, 0, 0, 0, 0, 10, 11, 12, 13, 14, 15, 0, 0, 0]
        );
        assert_eq!(m.masked(&[true, true]), image.pixels);
        assert_eq!(m.masked(&[false, false]), baseline.pixels);
    }
}
