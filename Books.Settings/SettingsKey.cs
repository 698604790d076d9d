namespace Books.Settings;

/// <summary>Configuration keys built from a section and a property name, as configuration and environment variables spell them.</summary>
public static class SettingsKey
{
    /// <summary><c>Section:Property</c>, the key configuration binds <paramref name="property"/> from.</summary>
    public static string Of(string section, string property) => $"{section}:{property}";

    /// <summary>The environment-variable spelling of <paramref name="key"/> (<c>:</c> becomes <c>__</c>).</summary>
    public static string AsEnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
