using System.ComponentModel.DataAnnotations;

namespace Books.Settings;

/// <summary>Token validation beyond the framework's bearer settings, section <c>Books:Auth</c>.</summary>
public sealed class TokenValidationSettings
{
    public const string SectionName = "Books:Auth";

    /// <summary>Tolerance for clock differences with the provider; the framework's 5 minutes when not set.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", ErrorMessage = "must not be negative")]
    public TimeSpan? ClockSkew { get; set; }

    public const string ClockSkewKey = SectionName + ":" + nameof(ClockSkew);
}
