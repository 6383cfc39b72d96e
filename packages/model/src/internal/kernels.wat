;; SCALE-TS's training kernels: small matrix products for tfjs-backend-wasm, in WebAssembly SIMD.
;;
;; Why: tfjs-wasm hands a matMul to XNNPACK only when it is unbatched with no transpose flag; every
;; batched product (the per-example attention scores and pooling) and every transposed one (all the
;; gradients) runs a scalar loop, and a gradient step spent about half its kernel time there. These
;; kernels take any of those shapes straight from the tfjs heap: the module imports tfjs-wasm's own
;; memory, so there are no copies and no transposes.
;;
;; Every pointer is a byte offset into that memory; strides are in bytes. Each output element sums
;; its products in k order (matmulRows, sumRows) or in a fixed 4-lane order (matmulDots), so results
;; are deterministic. `scripts/build-kernels.ts` assembles this file into `kernels-wasm.ts`.
(module
  (import "env" "memory" (memory 1))

  ;; out[b] = A[b] x B[b] for b < batch: out is M x N row-major, B is K x N row-major, and A's
  ;; element (i, k) is at a + i * aRow + k * aCol (aRow = 4K, aCol = 4 for A; aRow = 4, aCol = 4M
  ;; for A^T). Vectorised over N: 16 columns at a time, then 4, then one.
  (func (export "matmulRows")
    (param $a i32) (param $b i32) (param $out i32) (param $batch i32)
    (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $bBatch i32) (param $aRow i32) (param $aCol i32)
    (local $bi i32) (local $i i32) (local $j i32) (local $kk i32)
    (local $aBase i32) (local $bBase i32) (local $aRowStart i32) (local $pa i32) (local $pb i32)
    (local $po i32) (local $rowBytes i32)
    (local $s v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $sum f32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $po (local.get $out))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $bi) (local.get $batch)))
        (local.set $aBase (i32.add (local.get $a) (i32.mul (local.get $bi) (local.get $aBatch))))
        (local.set $bBase (i32.add (local.get $b) (i32.mul (local.get $bi) (local.get $bBatch))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $aRowStart (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $aRow))))
            (local.set $j (i32.const 0))
            ;; 16 columns: four accumulators, one broadcast of a(i, k) feeds them all.
            (block $wideDone
              (loop $wideLoop
                (br_if $wideDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $n)))
                (local.set $acc0 (v128.const i32x4 0 0 0 0))
                (local.set $acc1 (v128.const i32x4 0 0 0 0))
                (local.set $acc2 (v128.const i32x4 0 0 0 0))
                (local.set $acc3 (v128.const i32x4 0 0 0 0))
                (local.set $pa (local.get $aRowStart))
                (local.set $pb (i32.add (local.get $bBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (local.get $k))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.eqz (local.get $kk)))
                    (local.set $s (f32x4.splat (f32.load (local.get $pa))))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (v128.load (local.get $pb)))))
                    (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $pb)))))
                    (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $pb)))))
                    (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $pb)))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowBytes)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $kLoop)))
                (v128.store (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
                (v128.store offset=16 (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc1))
                (v128.store offset=32 (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc2))
                (v128.store offset=48 (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc3))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $wideLoop)))
            ;; 4 columns.
            (block $quadDone
              (loop $quadLoop
                (br_if $quadDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
                (local.set $acc0 (v128.const i32x4 0 0 0 0))
                (local.set $pa (local.get $aRowStart))
                (local.set $pb (i32.add (local.get $bBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (local.get $k))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.eqz (local.get $kk)))
                    (local.set $acc0
                      (f32x4.add (local.get $acc0) (f32x4.mul (f32x4.splat (f32.load (local.get $pa))) (v128.load (local.get $pb)))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowBytes)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $kLoop)))
                (v128.store (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $quadLoop)))
            ;; The last N mod 4 columns, one at a time (the same summation order as a lane).
            (block $tailDone
              (loop $tailLoop
                (br_if $tailDone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $sum (f32.const 0))
                (local.set $pa (local.get $aRowStart))
                (local.set $pb (i32.add (local.get $bBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (local.get $k))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.eqz (local.get $kk)))
                    (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowBytes)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $kLoop)))
                (f32.store (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $sum))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tailLoop)))
            (local.set $po (i32.add (local.get $po) (local.get $rowBytes)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rowLoop)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $batchLoop))))

  ;; out[b] = A[b] x B[b]^T for b < batch: A is M x K and B is N x K, both row-major, out M x N.
  ;; Each output is a dot product of two contiguous rows: 4 lanes over k, added up
  ;; (lane 0 + lane 1) + (lane 2 + lane 3), then the last K mod 4 products one at a time.
  (func (export "matmulDots")
    (param $a i32) (param $b i32) (param $out i32) (param $batch i32)
    (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $bBatch i32)
    (local $bi i32) (local $i i32) (local $j i32) (local $kk i32)
    (local $aBase i32) (local $bBase i32) (local $aRowStart i32) (local $pa i32) (local $pb i32)
    (local $po i32) (local $kBytes i32)
    (local $acc v128) (local $sum f32)
    (local.set $kBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $po (local.get $out))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $bi) (local.get $batch)))
        (local.set $aBase (i32.add (local.get $a) (i32.mul (local.get $bi) (local.get $aBatch))))
        (local.set $bBase (i32.add (local.get $b) (i32.mul (local.get $bi) (local.get $bBatch))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $aRowStart (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $kBytes))))
            (local.set $j (i32.const 0))
            (block $colsDone
              (loop $colLoop
                (br_if $colsDone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $pa (local.get $aRowStart))
                (local.set $pb (i32.add (local.get $bBase) (i32.mul (local.get $j) (local.get $kBytes))))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $kk (local.get $k))
                (block $quadDone
                  (loop $quadLoop
                    (br_if $quadDone (i32.lt_u (local.get $kk) (i32.const 4)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                    (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 4)))
                    (br $quadLoop)))
                (local.set $sum
                  (f32.add
                    (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                    (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
                (block $tailDone
                  (loop $tailLoop
                    (br_if $tailDone (i32.eqz (local.get $kk)))
                    (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
                    (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $tailLoop)))
                (f32.store (local.get $po) (local.get $sum))
                (local.set $po (i32.add (local.get $po) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $colLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rowLoop)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $batchLoop))))

  ;; out[b] = x[b]^T for b < batch: x[b] is R x C row-major, out[b] is C x R. Lets a product with
  ;; B^T run in matmulRows, faster per multiply-add than matmulDots once A has a few rows.
  (func (export "transpose")
    (param $x i32) (param $out i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $bi i32) (local $r i32) (local $c i32) (local $px i32) (local $po i32) (local $rowStart i32)
    (local $matrixBytes i32) (local $colBytes i32)
    (local.set $matrixBytes (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2)))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $bi) (local.get $batch)))
        (local.set $px (i32.add (local.get $x) (i32.mul (local.get $bi) (local.get $matrixBytes))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            ;; x's row r becomes out's column r.
            (local.set $po
              (i32.add (i32.add (local.get $out) (i32.mul (local.get $bi) (local.get $matrixBytes))) (i32.shl (local.get $r) (i32.const 2))))
            (local.set $c (local.get $cols))
            (block $colsDone
              (loop $colLoop
                (br_if $colsDone (i32.eqz (local.get $c)))
                (f32.store (local.get $po) (f32.load (local.get $px)))
                (local.set $px (i32.add (local.get $px) (i32.const 4)))
                (local.set $po (i32.add (local.get $po) (local.get $colBytes)))
                (local.set $c (i32.sub (local.get $c) (i32.const 1)))
                (br $colLoop)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rowLoop)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $batchLoop))))

  ;; out[r, j] += bias[j], then max(out, 0) when relu != 0, for an R x C row-major out: a dense
  ;; layer's epilogue after matmulRows.
  (func (export "biasActivation")
    (param $out i32) (param $bias i32) (param $rows i32) (param $cols i32) (param $relu i32)
    (local $r i32) (local $j i32) (local $po i32) (local $v v128) (local $s f32)
    (local.set $po (local.get $out))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $quadDone
          (loop $quadLoop
            (br_if $quadDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
            (local.set $v
              (f32x4.add (v128.load (local.get $po)) (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
            (if (local.get $relu) (then (local.set $v (f32x4.max (local.get $v) (v128.const i32x4 0 0 0 0)))))
            (v128.store (local.get $po) (local.get $v))
            (local.set $po (i32.add (local.get $po) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quadLoop)))
        (block $tailDone
          (loop $tailLoop
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $s
              (f32.add (f32.load (local.get $po)) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
            (if (local.get $relu) (then (local.set $s (f32.max (local.get $s) (f32.const 0)))))
            (f32.store (local.get $po) (local.get $s))
            (local.set $po (i32.add (local.get $po) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tailLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; out[i] = y[i] > 0 ? dy[i] : 0 for i < size: ReLU's backward from its output.
  (func (export "reluBackward")
    (param $dy i32) (param $y i32) (param $out i32) (param $size i32)
    (local $i i32) (local $offset i32)
    (block $quadDone
      (loop $quadLoop
        (br_if $quadDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $size)))
        (local.set $offset (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $offset))
          (v128.and
            (v128.load (i32.add (local.get $dy) (local.get $offset)))
            (f32x4.gt (v128.load (i32.add (local.get $y) (local.get $offset))) (v128.const i32x4 0 0 0 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quadLoop)))
    (block $tailDone
      (loop $tailLoop
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $size)))
        (local.set $offset (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $offset))
          (select
            (f32.load (i32.add (local.get $dy) (local.get $offset)))
            (f32.const 0)
            (f32.gt (f32.load (i32.add (local.get $y) (local.get $offset))) (f32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tailLoop))))

  ;; out[j] = sum over r of x[r, j] for an R x C row-major x (a bias gradient). Vectorised over C:
  ;; 16 columns at a time, then 4, then one; each column sums in row order.
  (func (export "sumRows")
    (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $r i32) (local $p i32) (local $rowBytes i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $sum f32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $wideDone
      (loop $wideLoop
        (br_if $wideDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $cols)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $acc2 (v128.const i32x4 0 0 0 0))
        (local.set $acc3 (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (local.get $rows))
        (block $rDone
          (loop $rLoop
            (br_if $rDone (i32.eqz (local.get $r)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (v128.load (local.get $p))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (v128.load offset=16 (local.get $p))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (v128.load offset=32 (local.get $p))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (v128.load offset=48 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br $rLoop)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
        (v128.store offset=16 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc1))
        (v128.store offset=32 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc2))
        (v128.store offset=48 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $wideLoop)))
    (block $quadDone
      (loop $quadLoop
        (br_if $quadDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (local.get $rows))
        (block $rDone
          (loop $rLoop
            (br_if $rDone (i32.eqz (local.get $r)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br $rLoop)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quadLoop)))
    (block $tailDone
      (loop $tailLoop
        (br_if $tailDone (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $sum (f32.const 0))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (local.get $rows))
        (block $rDone
          (loop $rLoop
            (br_if $rDone (i32.eqz (local.get $r)))
            (local.set $sum (f32.add (local.get $sum) (f32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br $rLoop)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tailLoop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; LayerNorm and exact GELU, forward and backward, in float64 scalar code: the same operations in
  ;; the same order as the plain-JavaScript loops they replace (and as `gelu.ts`, which the fast path
  ;; keeps), so every output is the same float32, bit for bit; only the per-element cost changes.

  ;; exp on both lanes of an f64x2: a port of FreeBSD's e_exp.c (fdlibm) as V8 ships it for
  ;; Math.exp (base/ieee754.cc, with its exp(1) = E special case), operation for operation, so each
  ;; lane is Math.exp's double. Branch-free: every path is computed and each lane takes its own.
  ;; - |x| > 0.5 ln2: x = hi - lo = x - k ln2 with k = +-1 below 1.5 ln2, else trunc(x / ln2 +- 0.5);
  ;; - c = x - x^2 (P1 + x^2 (P2 + ...)); k = 0: 1 - (x c / (c - 2) - x); else
  ;;   (1 - ((lo - x c / (2 - c)) - hi)) 2^k, where x c / (2 - c) is exactly -(x c / (c - 2)) (IEEE
  ;;   rounding is symmetric), so one quotient serves both; 2^k in two factors at the range's ends;
  ;; - |x| < 2^-28: 1 + x; NaN: x + x; above the overflow threshold inf, below the underflow one 0.
  (func $exp2 (param $x v128) (result v128)
    (local $ax v128) (local $t v128) (local $hi v128) (local $lo v128) (local $xs v128) (local $tt v128)
    (local $c v128) (local $q v128) (local $y v128) (local $k v128) (local $scaleA v128) (local $scaleB v128) (local $r v128)
    (local.set $ax (f64x2.abs (local.get $x)))
    (local.set $t (v128.bitselect
      (v128.or (v128.const f64x2 1 1) (v128.and (local.get $x) (v128.const i64x2 0x8000000000000000 0x8000000000000000)))
      (f64x2.trunc (f64x2.add
        (f64x2.mul (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0) (local.get $x))
        (v128.bitselect (v128.const f64x2 -0.5 -0.5) (v128.const f64x2 0.5 0.5) (i64x2.lt_s (local.get $x) (v128.const i64x2 0 0)))))
      (f64x2.lt (local.get $ax) (v128.const f64x2 0x1.0a2b2p+0 0x1.0a2b2p+0))))
    (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $t) (v128.const f64x2 0x1.62e42feep-1 0x1.62e42feep-1))))
    (local.set $lo (f64x2.mul (local.get $t) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33)))
    (local.set $xs (v128.bitselect
      (f64x2.sub (local.get $hi) (local.get $lo))
      (local.get $x)
      (f64x2.ge (local.get $ax) (v128.const f64x2 0x1.62e43p-2 0x1.62e43p-2))))
    (local.set $tt (f64x2.mul (local.get $xs) (local.get $xs)))
    (local.set $c (f64x2.sub (local.get $xs) (f64x2.mul (local.get $tt)
      (f64x2.add (v128.const f64x2 0x1.555555555553ep-3 0x1.555555555553ep-3) (f64x2.mul (local.get $tt)
        (f64x2.add (v128.const f64x2 -0x1.6c16c16bebd93p-9 -0x1.6c16c16bebd93p-9) (f64x2.mul (local.get $tt)
          (f64x2.add (v128.const f64x2 0x1.1566aaf25de2cp-14 0x1.1566aaf25de2cp-14) (f64x2.mul (local.get $tt)
            (f64x2.add (v128.const f64x2 -0x1.bbd41c5d26bf1p-20 -0x1.bbd41c5d26bf1p-20) (f64x2.mul (local.get $tt) (v128.const f64x2 0x1.6376972bea4d0p-25 0x1.6376972bea4d0p-25))))))))))))
    (local.set $q (f64x2.div (f64x2.mul (local.get $xs) (local.get $c)) (f64x2.sub (local.get $c) (v128.const f64x2 2 2))))
    (local.set $y (f64x2.sub (v128.const f64x2 1 1) (f64x2.sub (f64x2.add (local.get $lo) (local.get $q)) (local.get $hi))))
    ;; 2^k as (y 2^k) 1, (y 2) 2^1023 at k = 1024, (y 2^(k + 1000)) 2^-1000 below k = -1021.
    (local.set $k (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $t))))
    (local.set $scaleA (i64x2.shl (i64x2.add (local.get $k) (v128.const i64x2 1023 1023)) (i32.const 52)))
    (local.set $scaleB (v128.const f64x2 1 1))
    (local.set $scaleA (v128.bitselect (v128.const f64x2 2 2) (local.get $scaleA) (i64x2.eq (local.get $k) (v128.const i64x2 1024 1024))))
    (local.set $scaleB (v128.bitselect (v128.const f64x2 0x1p+1023 0x1p+1023) (local.get $scaleB) (i64x2.eq (local.get $k) (v128.const i64x2 1024 1024))))
    (local.set $scaleA (v128.bitselect
      (i64x2.shl (i64x2.add (local.get $k) (v128.const i64x2 2023 2023)) (i32.const 52))
      (local.get $scaleA)
      (i64x2.lt_s (local.get $k) (v128.const i64x2 -1021 -1021))))
    (local.set $scaleB (v128.bitselect (v128.const f64x2 0x1p-1000 0x1p-1000) (local.get $scaleB) (i64x2.lt_s (local.get $k) (v128.const i64x2 -1021 -1021))))
    (local.set $r (v128.bitselect
      (f64x2.mul (f64x2.mul (local.get $y) (local.get $scaleA)) (local.get $scaleB))
      (f64x2.sub (v128.const f64x2 1 1) (f64x2.sub (local.get $q) (local.get $xs)))
      (f64x2.ge (local.get $ax) (v128.const f64x2 0x1.62e43p-2 0x1.62e43p-2))))
    (local.set $r (v128.bitselect (f64x2.add (v128.const f64x2 1 1) (local.get $x)) (local.get $r) (f64x2.lt (local.get $ax) (v128.const f64x2 0x1p-28 0x1p-28))))
    (local.set $r (v128.bitselect (v128.const f64x2 0x1.5bf0a8b145769p+1 0x1.5bf0a8b145769p+1) (local.get $r) (f64x2.eq (local.get $x) (v128.const f64x2 1 1))))
    (local.set $r (v128.bitselect (v128.const f64x2 inf inf) (local.get $r) (f64x2.gt (local.get $x) (v128.const f64x2 0x1.62e42fefa39efp+9 0x1.62e42fefa39efp+9))))
    (local.set $r (v128.bitselect (v128.const f64x2 0 0) (local.get $r) (f64x2.lt (local.get $x) (v128.const f64x2 -0x1.74910d52d3051p+9 -0x1.74910d52d3051p+9))))
    (v128.bitselect (f64x2.add (local.get $x) (local.get $x)) (local.get $r) (f64x2.ne (local.get $x) (local.get $x))))

  ;; erf by Abramowitz and Stegun 7.1.26 on both lanes, as `gelu.ts`'s erf.
  (func $erf2 (param $x v128) (result v128)
    (local $t v128) (local $y v128)
    (local.set $t (f64x2.div (v128.const f64x2 1 1) (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (v128.const f64x2 0.3275911 0.3275911) (f64x2.abs (local.get $x))))))
    (local.set $y (f64x2.sub (v128.const f64x2 1 1) (f64x2.mul
      (f64x2.mul (local.get $t)
        (f64x2.add (v128.const f64x2 0.254829592 0.254829592) (f64x2.mul (local.get $t)
          (f64x2.add (v128.const f64x2 -0.284496736 -0.284496736) (f64x2.mul (local.get $t)
            (f64x2.add (v128.const f64x2 1.421413741 1.421413741) (f64x2.mul (local.get $t)
              (f64x2.add (v128.const f64x2 -1.453152027 -1.453152027) (f64x2.mul (local.get $t) (v128.const f64x2 1.061405429 1.061405429))))))))))
      (call $exp2 (f64x2.mul (f64x2.neg (local.get $x)) (local.get $x))))))
    (v128.bitselect (f64x2.neg (local.get $y)) (local.get $y) (f64x2.lt (local.get $x) (v128.const f64x2 0 0))))

  ;; GELU's backward, dy (Phi(x) + x phi(x)), of the float32s dy and x in the low lanes, given Phi(x)
  ;; in float64 as the forward computed it.
  (func $geluBackward2 (param $dy v128) (param $v v128) (param $phi v128) (result v128)
    (local.set $v (f64x2.promote_low_f32x4 (local.get $v)))
    (f32x4.demote_f64x2_zero (f64x2.mul
      (f64x2.promote_low_f32x4 (local.get $dy))
      (f64x2.add (local.get $phi)
        (f64x2.mul (f64x2.mul (local.get $v) (v128.const f64x2 0x1.9884533d43651p-2 0x1.9884533d43651p-2))
          (call $exp2 (f64x2.mul (f64x2.mul (v128.const f64x2 -0.5 -0.5) (local.get $v)) (local.get $v))))))))

  ;; out[i] = GELU(x[i]) = 0.5 x (1 + erf(x / sqrt 2)) for `size` floats, two at a time in float64;
  ;; phi[i] = Phi(x[i]) in float64 (8 bytes each), the erf term the backward reuses.
  (func (export "gelu")
    (param $x i32) (param $out i32) (param $phi i32) (param $size i32)
    (local $end i32) (local $v v128) (local $e v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $size) (i32.const -2)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))))
        (local.set $e (call $erf2 (f64x2.mul (local.get $v) (v128.const f64x2 0x1.6a09e667f3bcdp-1 0x1.6a09e667f3bcdp-1))))
        (v128.store64_lane 0 (local.get $out) (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $v)) (f64x2.add (v128.const f64x2 1 1) (local.get $e)))))
        (v128.store (local.get $phi) (f64x2.mul (v128.const f64x2 0.5 0.5) (f64x2.add (v128.const f64x2 1 1) (local.get $e))))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $phi (i32.add (local.get $phi) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $size) (i32.const 1))
      (then
        (local.set $v (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $x))))
        (local.set $e (call $erf2 (f64x2.mul (local.get $v) (v128.const f64x2 0x1.6a09e667f3bcdp-1 0x1.6a09e667f3bcdp-1))))
        (v128.store32_lane 0 (local.get $out) (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $v)) (f64x2.add (v128.const f64x2 1 1) (local.get $e)))))
        (v128.store64_lane 0 (local.get $phi) (f64x2.mul (v128.const f64x2 0.5 0.5) (f64x2.add (v128.const f64x2 1 1) (local.get $e)))))))

  ;; dx[i] = dy[i] GELU'(x[i]) for `size` floats, two at a time in float64, from the forward's phi.
  (func (export "geluBackward")
    (param $dy i32) (param $x i32) (param $phi i32) (param $dx i32) (param $size i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $size) (i32.const -2)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store64_lane 0 (local.get $dx)
          (call $geluBackward2 (v128.load64_zero (local.get $dy)) (v128.load64_zero (local.get $x)) (v128.load (local.get $phi))))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 8)))
        (local.set $phi (i32.add (local.get $phi) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 8)))
        (br $next)))
    (if (i32.and (local.get $size) (i32.const 1))
      (then (v128.store32_lane 0 (local.get $dx)
        (call $geluBackward2 (v128.load32_zero (local.get $dy)) (v128.load32_zero (local.get $x)) (v128.load64_zero (local.get $phi)))))))

  ;; A row's mean and 1 / sqrt(biased variance + eps), two-pass in float64, into $rowMean and $rowRstd.
  (global $rowMean (mut f64) (f64.const 0))
  (global $rowRstd (mut f64) (f64.const 0))
  (func $rowStatistics (param $row i32) (param $width i32) (param $eps f64)
    (local $j i32) (local $mean f64) (local $variance f64) (local $d f64)
    (block $meanDone
      (loop $meanLoop
        (br_if $meanDone (i32.ge_u (local.get $j) (local.get $width)))
        (local.set $mean (f64.add (local.get $mean) (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $meanLoop)))
    (local.set $mean (f64.div (local.get $mean) (f64.convert_i32_u (local.get $width))))
    (local.set $j (i32.const 0))
    (block $varDone
      (loop $varLoop
        (br_if $varDone (i32.ge_u (local.get $j) (local.get $width)))
        (local.set $d (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))) (local.get $mean)))
        (local.set $variance (f64.add (local.get $variance) (f64.mul (local.get $d) (local.get $d))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $varLoop)))
    (global.set $rowMean (local.get $mean))
    (global.set $rowRstd (f64.div (f64.const 1)
      (f64.sqrt (f64.add (f64.div (local.get $variance) (f64.convert_i32_u (local.get $width))) (local.get $eps))))))

  ;; out = (x - mean) rstd gamma + beta per row of an R x W row-major x.
  (func (export "layerNorm")
    (param $x i32) (param $gamma i32) (param $beta i32) (param $out i32) (param $rows i32) (param $width i32) (param $eps f64)
    (local $r i32) (local $j i32) (local $rowBytes i32) (local $offset i32) (local $mean f64) (local $rstd f64)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $rowStatistics (local.get $x) (local.get $width) (local.get $eps))
        (local.set $mean (global.get $rowMean))
        (local.set $rstd (global.get $rowRstd))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $width)))
            (local.set $offset (i32.shl (local.get $j) (i32.const 2)))
            (f32.store (i32.add (local.get $out) (local.get $offset)) (f32.demote_f64 (f64.add
              (f64.mul
                (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $offset)))) (local.get $mean)) (local.get $rstd))
                (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $offset)))))
              (f64.promote_f32 (f32.load (i32.add (local.get $beta) (local.get $offset)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $colLoop)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; LayerNorm's backward from x (row statistics recomputed), with g = dy gamma and
  ;; xhat = (x - mean) rstd: dx = rstd (g - mean(g) - xhat mean(g xhat)); dgamma = sum over rows of
  ;; dy xhat, dbeta = sum over rows of dy, accumulated in float64 in $sums (2 W doubles of scratch).
  (func (export "layerNormBackward")
    (param $dy i32) (param $x i32) (param $gamma i32) (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $sums i32)
    (param $rows i32) (param $width i32) (param $eps f64)
    (local $r i32) (local $j i32) (local $rowBytes i32) (local $offset i32) (local $p i32)
    (local $mean f64) (local $rstd f64) (local $xhat f64) (local $d f64) (local $g f64) (local $gMean f64) (local $gXhatMean f64)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $zeroDone
      (loop $zeroLoop
        (br_if $zeroDone (i32.ge_u (local.get $j) (i32.shl (local.get $width) (i32.const 1))))
        (f64.store (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))) (f64.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $zeroLoop)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $rowStatistics (local.get $x) (local.get $width) (local.get $eps))
        (local.set $mean (global.get $rowMean))
        (local.set $rstd (global.get $rowRstd))
        (local.set $gMean (f64.const 0))
        (local.set $gXhatMean (f64.const 0))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $width)))
            (local.set $offset (i32.shl (local.get $j) (i32.const 2)))
            (local.set $xhat (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $offset)))) (local.get $mean)) (local.get $rstd)))
            (local.set $d (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $offset)))))
            (local.set $g (f64.mul (local.get $d) (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $offset))))))
            (local.set $gMean (f64.add (local.get $gMean) (local.get $g)))
            (local.set $gXhatMean (f64.add (local.get $gXhatMean) (f64.mul (local.get $g) (local.get $xhat))))
            (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $d) (local.get $xhat))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $width) (i32.const 3))))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $d)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $colLoop)))
        (local.set $gMean (f64.div (local.get $gMean) (f64.convert_i32_u (local.get $width))))
        (local.set $gXhatMean (f64.div (local.get $gXhatMean) (f64.convert_i32_u (local.get $width))))
        (local.set $j (i32.const 0))
        (block $dxDone
          (loop $dxLoop
            (br_if $dxDone (i32.ge_u (local.get $j) (local.get $width)))
            (local.set $offset (i32.shl (local.get $j) (i32.const 2)))
            (local.set $xhat (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $offset)))) (local.get $mean)) (local.get $rstd)))
            (local.set $g (f64.mul
              (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $offset))))
              (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $offset))))))
            (f32.store (i32.add (local.get $dx) (local.get $offset)) (f32.demote_f64 (f64.mul (local.get $rstd)
              (f64.sub (f64.sub (local.get $g) (local.get $gMean)) (f64.mul (local.get $xhat) (local.get $gXhatMean))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $dxLoop)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))
    (local.set $j (i32.const 0))
    (block $outDone
      (loop $outLoop
        (br_if $outDone (i32.ge_u (local.get $j) (local.get $width)))
        (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 3))))
        (f32.store (i32.add (local.get $dgamma) (i32.shl (local.get $j) (i32.const 2))) (f32.demote_f64 (f64.load (local.get $p))))
        (f32.store (i32.add (local.get $dbeta) (i32.shl (local.get $j) (i32.const 2)))
          (f32.demote_f64 (f64.load (i32.add (local.get $p) (i32.shl (local.get $width) (i32.const 3))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $outLoop))))

  ;; out[r, i] = sum over h of x[r, h, i] mask[h, i] (float32, h in order from +0), x rows x heads x
  ;; width, mask heads x width: the attention's heads recombined. 4 columns at a time, then one.
  (func (export "maskedHeadSum")
    (param $x i32) (param $mask i32) (param $out i32) (param $rows i32) (param $heads i32) (param $width i32)
    (local $r i32) (local $i i32) (local $h i32) (local $rowBytes i32) (local $px i32) (local $pm i32)
    (local $acc v128) (local $sum f32)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $i (i32.const 0))
        (block $quadDone
          (loop $quadLoop
            (br_if $quadDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $width)))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $px (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $pm (i32.add (local.get $mask) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $h (i32.const 0))
            (block $hDone
              (loop $hLoop
                (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $px)) (v128.load (local.get $pm)))))
                (local.set $px (i32.add (local.get $px) (local.get $rowBytes)))
                (local.set $pm (i32.add (local.get $pm) (local.get $rowBytes)))
                (local.set $h (i32.add (local.get $h) (i32.const 1)))
                (br $hLoop)))
            (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $acc))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $quadLoop)))
        (block $tailDone
          (loop $tailLoop
            (br_if $tailDone (i32.ge_u (local.get $i) (local.get $width)))
            (local.set $sum (f32.const 0))
            (local.set $px (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $pm (i32.add (local.get $mask) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $h (i32.const 0))
            (block $hDone
              (loop $hLoop
                (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
                (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $px)) (f32.load (local.get $pm)))))
                (local.set $px (i32.add (local.get $px) (local.get $rowBytes)))
                (local.set $pm (i32.add (local.get $pm) (local.get $rowBytes)))
                (local.set $h (i32.add (local.get $h) (i32.const 1)))
                (br $hLoop)))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $sum))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tailLoop)))
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $rowBytes) (local.get $heads))))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; out[r, h, i] = x[r, i] mask[h, i], x rows x width: a query placed on each head's slice.
  (func (export "headSpread")
    (param $x i32) (param $mask i32) (param $out i32) (param $rows i32) (param $heads i32) (param $width i32)
    (local $r i32) (local $i i32) (local $h i32) (local $rowBytes i32) (local $pm i32) (local $po i32)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $h (i32.const 0))
        (local.set $pm (local.get $mask))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $i (i32.const 0))
            (block $quadDone
              (loop $quadLoop
                (br_if $quadDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $width)))
                (local.set $po (i32.shl (local.get $i) (i32.const 2)))
                (v128.store (i32.add (local.get $out) (local.get $po))
                  (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $po))) (v128.load (i32.add (local.get $pm) (local.get $po)))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $quadLoop)))
            (block $tailDone
              (loop $tailLoop
                (br_if $tailDone (i32.ge_u (local.get $i) (local.get $width)))
                (local.set $po (i32.shl (local.get $i) (i32.const 2)))
                (f32.store (i32.add (local.get $out) (local.get $po))
                  (f32.mul (f32.load (i32.add (local.get $x) (local.get $po))) (f32.load (i32.add (local.get $pm) (local.get $po)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $tailLoop)))
            (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
            (local.set $pm (i32.add (local.get $pm) (local.get $rowBytes)))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; The attention's folded keys, per head: out[(r, h), j] = sum over k in head h's slice of
  ;; (q[r, k] sel[h, k]) wT[k, j] (float32, k in order from +0), q rows x width, sel heads x width,
  ;; wT width x n (W_k transposed). The same values as spreading q over the heads (zeros outside each
  ;; slice) and multiplying by W_k^T, without the zero products. 4 columns at a time (n % 4 = 0).
  (func (export "headFold")
    (param $q i32) (param $sel i32) (param $wT i32) (param $out i32) (param $rows i32) (param $heads i32) (param $width i32) (param $n i32)
    (local $r i32) (local $h i32) (local $j i32) (local $k i32) (local $kEnd i32) (local $slice i32) (local $acc v128) (local $po i32)
    (local.set $slice (i32.div_u (local.get $width) (local.get $heads)))
    (local.set $po (local.get $out))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $k (i32.mul (local.get $h) (local.get $slice)))
                (local.set $kEnd (i32.add (local.get $k) (local.get $slice)))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.ge_u (local.get $k) (local.get $kEnd)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                      (f32x4.splat (f32.mul
                        (f32.load (i32.add (local.get $q) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $k)) (i32.const 2))))
                        (f32.load (i32.add (local.get $sel) (i32.shl (i32.add (i32.mul (local.get $h) (local.get $width)) (local.get $k)) (i32.const 2))))))
                      (v128.load (i32.add (local.get $wT) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 2)))))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kLoop)))
                (v128.store (i32.add (local.get $po) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $jLoop)))
            (local.set $po (i32.add (local.get $po) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; headFold's gradient with respect to q: dq[r, k] = 0 + sel[h, k] (sum over j of dG[(r, h), j] w[j, k])
  ;; for k in head h's slice (j in order from +0), w n x width (W_k). 4 slice columns at a time (slice % 4 = 0).
  (func (export "headFoldBackQuery")
    (param $dG i32) (param $sel i32) (param $w i32) (param $dq i32) (param $rows i32) (param $heads i32) (param $width i32) (param $n i32)
    (local $r i32) (local $h i32) (local $j i32) (local $k i32) (local $kEnd i32) (local $slice i32) (local $acc v128) (local $pg i32)
    (local.set $slice (i32.div_u (local.get $width) (local.get $heads)))
    (local.set $pg (local.get $dG))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $k (i32.mul (local.get $h) (local.get $slice)))
            (local.set $kEnd (i32.add (local.get $k) (local.get $slice)))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kEnd)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $j (i32.const 0))
                (block $jDone
                  (loop $jLoop
                    (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (local.get $pg) (i32.shl (local.get $j) (i32.const 2)))))
                      (v128.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $width)) (local.get $k)) (i32.const 2)))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $jLoop)))
                (v128.store (i32.add (local.get $dq) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $k)) (i32.const 2)))
                  (f32x4.add (v128.const i32x4 0 0 0 0) (f32x4.mul (local.get $acc)
                    (v128.load (i32.add (local.get $sel) (i32.shl (i32.add (i32.mul (local.get $h) (local.get $width)) (local.get $k)) (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kLoop)))
            (local.set $pg (i32.add (local.get $pg) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; headFold's gradient with respect to W_k: dw[j, k] = sum over r of dG[(r, h), j] (q[r, k] sel[h, k])
  ;; for k in head h's slice (r in order from +0); dw n x width. 4 slice columns at a time.
  (func (export "headFoldBackKey")
    (param $dG i32) (param $q i32) (param $sel i32) (param $dw i32) (param $rows i32) (param $heads i32) (param $width i32) (param $n i32)
    (local $r i32) (local $h i32) (local $j i32) (local $k i32) (local $kEnd i32) (local $slice i32) (local $acc v128) (local $s v128)
    (local $rowStride i32)
    (local.set $slice (i32.div_u (local.get $width) (local.get $heads)))
    (local.set $rowStride (i32.shl (i32.mul (local.get $heads) (local.get $n)) (i32.const 2)))
    (block $jDone
      (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $k (i32.mul (local.get $h) (local.get $slice)))
            (local.set $kEnd (i32.add (local.get $k) (local.get $slice)))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kEnd)))
                (local.set $s (v128.load (i32.add (local.get $sel) (i32.shl (i32.add (i32.mul (local.get $h) (local.get $width)) (local.get $k)) (i32.const 2)))))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $r (i32.const 0))
                (block $rDone
                  (loop $rLoop
                    (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (i32.add (local.get $dG) (i32.mul (local.get $r) (local.get $rowStride)))
                        (i32.shl (i32.add (i32.mul (local.get $h) (local.get $n)) (local.get $j)) (i32.const 2)))))
                      (f32x4.mul
                        (v128.load (i32.add (local.get $q) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $k)) (i32.const 2))))
                        (local.get $s)))))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rLoop)))
                (v128.store (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $width)) (local.get $k)) (i32.const 2))) (local.get $acc))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kLoop)))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jLoop))))

  ;; The attention's value projection, per head: out[r, i] = 0 + sum over k of p[(r, h), k] w[k, i]
  ;; for i in head h's slice (k in order from +0), p (rows heads) x m, w m x width: the same values as
  ;; p W then keeping each head's own slice, without the other heads' columns. 4 columns at a time.
  (func (export "headProject")
    (param $p i32) (param $w i32) (param $out i32) (param $rows i32) (param $heads i32) (param $m i32) (param $width i32)
    (local $r i32) (local $h i32) (local $i i32) (local $iEnd i32) (local $k i32) (local $slice i32) (local $acc v128) (local $pp i32)
    (local.set $slice (i32.div_u (local.get $width) (local.get $heads)))
    (local.set $pp (local.get $p))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $i (i32.mul (local.get $h) (local.get $slice)))
            (local.set $iEnd (i32.add (local.get $i) (local.get $slice)))
            (block $iDone
              (loop $iLoop
                (br_if $iDone (i32.ge_u (local.get $i) (local.get $iEnd)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $k (i32.const 0))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.ge_u (local.get $k) (local.get $m)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (local.get $pp) (i32.shl (local.get $k) (i32.const 2)))))
                      (v128.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $width)) (local.get $i)) (i32.const 2)))))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kLoop)))
                (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $i)) (i32.const 2)))
                  (f32x4.add (v128.const i32x4 0 0 0 0) (local.get $acc)))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $iLoop)))
            (local.set $pp (i32.add (local.get $pp) (i32.shl (local.get $m) (i32.const 2))))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; headProject's gradient with respect to p: dp[(r, h), k] = sum over i in head h's slice of
  ;; dy[r, i] wT[i, k] (i in order from +0), wT width x m (w transposed). 4 columns of m at a time.
  (func (export "headProjectBackInput")
    (param $dy i32) (param $wT i32) (param $dp i32) (param $rows i32) (param $heads i32) (param $m i32) (param $width i32)
    (local $r i32) (local $h i32) (local $i i32) (local $iEnd i32) (local $k i32) (local $slice i32) (local $acc v128) (local $pd i32)
    (local.set $slice (i32.div_u (local.get $width) (local.get $heads)))
    (local.set $pd (local.get $dp))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $m)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $i (i32.mul (local.get $h) (local.get $slice)))
                (local.set $iEnd (i32.add (local.get $i) (local.get $slice)))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_u (local.get $i) (local.get $iEnd)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $i)) (i32.const 2)))))
                      (v128.load (i32.add (local.get $wT) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $k)) (i32.const 2)))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $iLoop)))
                (v128.store (i32.add (local.get $pd) (i32.shl (local.get $k) (i32.const 2))) (local.get $acc))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kLoop)))
            (local.set $pd (i32.add (local.get $pd) (i32.shl (local.get $m) (i32.const 2))))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; headProject's gradient with respect to w: dw[k, i] = sum over r of p[(r, h), k] dy[r, i] for i
  ;; in head h's slice (r in order from +0); dw m x width. 4 columns at a time.
  (func (export "headProjectBackWeight")
    (param $p i32) (param $dy i32) (param $dw i32) (param $rows i32) (param $heads i32) (param $m i32) (param $width i32)
    (local $r i32) (local $h i32) (local $i i32) (local $iEnd i32) (local $k i32) (local $slice i32) (local $acc v128)
    (local.set $slice (i32.div_u (local.get $width) (local.get $heads)))
    (block $kDone
      (loop $kLoop
        (br_if $kDone (i32.ge_u (local.get $k) (local.get $m)))
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $i (i32.mul (local.get $h) (local.get $slice)))
            (local.set $iEnd (i32.add (local.get $i) (local.get $slice)))
            (block $iDone
              (loop $iLoop
                (br_if $iDone (i32.ge_u (local.get $i) (local.get $iEnd)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $r (i32.const 0))
                (block $rDone
                  (loop $rLoop
                    (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
                    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                      (f32x4.splat (f32.load (i32.add (local.get $p)
                        (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $r) (local.get $heads)) (local.get $h)) (local.get $m)) (local.get $k)) (i32.const 2)))))
                      (v128.load (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $i)) (i32.const 2)))))))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rLoop)))
                (v128.store (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $width)) (local.get $i)) (i32.const 2))) (local.get $acc))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $iLoop)))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hLoop)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kLoop))))
)
