/// The calibration text qzoo uses when the user gives none (see `Resources/README.md` for its
/// source and licence): real English sentences, embedded in the binary so that `qzoo
/// calibrate MODEL` works anywhere without a data file.
public enum DefaultCorpus {
    public static let name = "builtin:calibration-en"

    /// The corpus bytes (UTF-8, one sentence per line).
    public static var bytes: [UInt8] { PackageResources.calibration_en_txt }
}
