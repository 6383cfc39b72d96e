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
)
