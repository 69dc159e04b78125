//! The global allocator kubesim's programs install: mimalloc, called the
//! way a C program calls it.
//!
//! The `mimalloc` crate sends every request through `mi_malloc_aligned`,
//! even when the alignment asked for is what plain `mi_malloc` gives
//! anyway. In mimalloc 3 that entry point only has a fast path for small
//! blocks whose next free slot happens to be aligned; every other request
//! (a `Vec` or hash table of more than 1 KiB, or a small block when the
//! page's free list is empty) takes the generic aligned path, which
//! over-allocates to align. Like the standard library's `System`
//! allocator, this one asks for plain `mi_malloc` when the alignment is
//! at most what every mimalloc block has (8 bytes: blocks are whole words)
//! and no more than the size, and for the aligned variants otherwise.

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc, mi_zalloc_aligned,
};
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The alignment every block of `mi_malloc` has: a word (mimalloc's size
/// classes are whole words, so a block of a page is word-aligned; 16
/// holds only for sizes that are multiples of 16).
const WORD: usize = std::mem::size_of::<usize>();

/// Plain `mi_malloc` gives this layout's alignment.
#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= WORD && align <= size
}

/// The memory allocator kubesim's own programs install (the `kubesim`
/// binary, the examples and the benchmarks): mimalloc. A run allocates
/// and frees an object version for every write, and at the scale of
/// the benchmarks (hundreds of MB of live objects) glibc's allocator
/// costs a fifth of the wall time. The library itself installs nothing; a
/// program built on it does the same with two lines:
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;
/// # fn main() {}
/// ```
///
/// The allocator never changes a run: nothing in a simulation depends
/// on addresses.
pub struct Allocator;

// SAFETY: every block comes from mimalloc with at least the layout's
// alignment (`plain` holds only when `mi_malloc`'s word alignment
// suffices) and is returned to mimalloc, which frees blocks of either
// entry point with `mi_free`.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            mi_malloc(layout.size()) as *mut u8
        } else {
            mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            mi_zalloc(layout.size()) as *mut u8
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(layout.align(), new_size) {
            mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layout a program asks for comes back with its alignment,
    /// writable over its size, and keeps its contents through a realloc.
    #[test]
    fn blocks_have_their_alignment_and_keep_their_contents() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 3, 8, 16, 24, 40, 100, 1000, 1025, 5000, 70_000, 3 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc size {size} align {align}");
                    std::ptr::write_bytes(p, 0xab, size);
                    let grown = size * 3 + 7;
                    let q = a.realloc(p, layout, grown);
                    assert_eq!(q as usize % align, 0, "realloc size {grown} align {align}");
                    assert!((0..size).all(|i| *q.add(i) == 0xab));
                    a.dealloc(q, Layout::from_size_align(grown, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "alloc_zeroed size {size} align {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
