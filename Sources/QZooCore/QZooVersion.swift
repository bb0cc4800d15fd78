/// qzoo's version; recorded in metadata and part of every cache key.
public enum QZooVersion {
    public static let current = "0.10.0"
}
