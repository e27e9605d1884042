/// The Soundstage version, printed by `--version` and written into outputs.
public enum SoundstageVersion {
    public static let string = "0.1.0"
}
