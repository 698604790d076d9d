using System.ComponentModel.DataAnnotations;

namespace Books.Settings;

/// <summary>How books-api builds its indexes at startup, section <c>Books:Indexes</c>.</summary>
public sealed class IndexSettings
{
    public const string SectionName = "Books:Indexes";

    /// <summary>
    /// createIndexes' commitQuorum: how many data-bearing voting members must finish a build before it commits.
    /// Unset: the server's default, every voting member, so one member down stalls the builds (and writes wait for
    /// the unique ISBN index meanwhile). "majority" commits without it, and the member builds when it returns.
    /// Otherwise a number of members, or a replica-set tag. A standalone server refuses any value: leave it unset there.
    /// </summary>
    [RegularExpression(@"^(majority|votingMembers|[0-9]+|[A-Za-z][A-Za-z0-9_-]*)$",
        ErrorMessage = "must be majority, votingMembers, a number of members, or a replica-set tag name")]
    public string? CommitQuorum { get; set; }

    public const string CommitQuorumKey = SectionName + ":" + nameof(CommitQuorum);

    /// <summary>
    /// How often books-api checks that the unique ISBN index still exists (a drop, or a restore without indexes, would
    /// let a second book take a stored ISBN): the longest such a write goes unnoticed.
    /// </summary>
    [Range(1, 3_600, ErrorMessage = "must be between {1} and {2} seconds")]
    public int CheckSeconds { get; set; } = 30;

    public const string CheckSecondsKey = SectionName + ":" + nameof(CheckSeconds);
}
