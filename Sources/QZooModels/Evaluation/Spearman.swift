/// Rank correlation, the standard measure of whether two scorers order items alike.
public enum Spearman {
    /// Spearman's ρ: the Pearson correlation of the ranks, ties given their average rank
    /// (as `scipy.stats.spearmanr`). NaN when either side is constant or the sizes differ.
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, a.count > 1 else { return .nan }
        return pearson(ranks(a), ranks(b))
    }

    /// 1-based ranks, ties averaged.
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let average = Double(start + end + 1) / 2
            for position in start..<end { ranks[order[position]] = average }
            start = end
        }
        return ranks
    }

    /// Pearson correlation; for identical inputs exactly 1 (`sqrt(v·v)` is exact).
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let meanA = a.reduce(0, +) / n, meanB = b.reduce(0, +) / n
        var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
        for (x, y) in zip(a, b) {
            covariance += (x - meanA) * (y - meanB)
            varianceA += (x - meanA) * (x - meanA)
            varianceB += (y - meanB) * (y - meanB)
        }
        guard varianceA > 0, varianceB > 0 else { return .nan }
        return covariance / (varianceA * varianceB).squareRoot()
    }
}
