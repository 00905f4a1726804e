//! scikit-image's `_enforce_label_connectivity_cython` on a 2-D label map: every connected
//! piece of a label gets its own label, in raster order of first pixels; pieces smaller than
//! `min_size` join the last neighbouring piece their search met.
//!
//! Reproduced quirks (they decide the numbering): the breadth-first search stops at
//! `max_size` pixels (the rest of that piece becomes a new piece when the scan reaches it),
//! and a small piece with no labelled neighbour keeps the label the next piece then reuses.

/// Neighbour offsets in scikit-image's order: x+1, x−1, y+1, y−1 (z is absent in 2-D).
const STEPS: [(isize, isize); 4] = [(0, 1), (0, -1), (1, 0), (-1, 0)];

/// `labels`: row-major, `height` × `width`, labels ≥ 1. Returns the new map, labels from 1.
pub fn enforce(
    labels: &[u32],
    height: usize,
    width: usize,
    min_size: usize,
    max_size: usize,
) -> Vec<u32> {
    let mut out = vec![0u32; labels.len()];
    let mut queue: Vec<usize> = Vec::with_capacity(max_size.max(1));
    let mut next = 1u32;
    for start in 0..labels.len() {
        if out[start] > 0 {
            continue;
        }
        let label = labels[start];
        let mut adjacent = next;
        out[start] = next;
        queue.clear();
        queue.push(start);
        let mut visited = 0;
        while visited < queue.len() && queue.len() < max_size {
            let at = queue[visited];
            let (y, x) = ((at / width) as isize, (at % width) as isize);
            for (dy, dx) in STEPS {
                let (yy, xx) = (y + dy, x + dx);
                if yy < 0 || xx < 0 || yy >= height as isize || xx >= width as isize {
                    continue;
                }
                let n = yy as usize * width + xx as usize;
                if labels[n] == label && out[n] == 0 {
                    out[n] = next;
                    queue.push(n);
                    if queue.len() >= max_size {
                        break;
                    }
                } else if out[n] > 0 && out[n] != next {
                    adjacent = out[n];
                }
            }
            visited += 1;
        }
        if queue.len() < min_size {
            for &p in &queue {
                out[p] = adjacent;
            }
        } else {
            next += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_label_becomes_two_pieces() {
        // Label 1 in two pieces separated by label 2: three pieces in raster order.
        let labels = [1, 2, 1, 1, 2, 1];
        assert_eq!(enforce(&labels, 2, 3, 1, 100), vec![1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn a_small_piece_joins_its_last_neighbour() {
        // The single 2 is below min_size 2 and joins piece 1, its only neighbour.
        let labels = [1, 1, 2, 1, 1, 1];
        assert_eq!(enforce(&labels, 2, 3, 2, 100), vec![1, 1, 1, 1, 1, 1]);
    }
}
