//! One loop compiled for the widest vectors the CPU has, chosen at run time: the release
//! build targets baseline x86-64 (SSE2), which would leave AVX-512 and AVX2 machines at two
//! lanes.

/// `widest!(pub fn name, name_avx512, name_avx2, name_versions => portable(args…))` defines
/// `name`, which runs `portable` (an `#[inline(always)]` function) compiled for AVX-512F or
/// AVX2 when the CPU has it, else as compiled for the baseline; the two wide versions under
/// their own names; and, for the tests, `name_versions()`: `name` and each wide version this
/// CPU can run. Every version is the same source, and Rust never contracts a multiply and an
/// add into a fused one, so each gives the same bits: the wide ones only run more lanes at
/// once.
macro_rules! widest {
    (
        $(#[$doc:meta])*
        $vis:vis fn $name:ident, $avx512:ident, $avx2:ident, $versions:ident => $portable:ident(
            $($arg:ident: $ty:ty),* $(,)?
        )
    ) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has the feature the function is compiled for.
                    return unsafe { $avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: as above.
                    return unsafe { $avx2($($arg),*) };
                }
            }
            $portable($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        fn $avx512($($arg: $ty),*) {
            $portable($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        fn $avx2($($arg: $ty),*) {
            $portable($($arg),*)
        }

        #[cfg(test)]
        #[allow(clippy::type_complexity)]
        fn $versions() -> Vec<(&'static str, unsafe fn($($ty),*))> {
            let mut out: Vec<(&'static str, unsafe fn($($ty),*))> =
                vec![("dispatch", |$($arg),*| $name($($arg),*))];
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    out.push(("avx2", $avx2));
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    out.push(("avx512f", $avx512));
                }
            }
            out
        }
    };
}

pub(crate) use widest;
