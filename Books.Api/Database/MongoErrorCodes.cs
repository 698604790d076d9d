using System.Collections.Frozen;

namespace Books.Api.Database;

/// <summary>
/// The MongoDB error codes books-api acts on, and the server's own categories of them. Every code and category is as
/// <c>src/mongo/base/error_codes.yml</c> in mongodb/mongo gives it (commit 007ba93, read 2026-12-07); each category
/// lists every code the file puts in it, so a code is classified by what the server says it is, not by a list of the
/// codes someone has seen.
/// </summary>
public static class MongoErrorCodes
{
    public const int BadValue = 2;
    public const int Unauthorized = 13;
    public const int MaxTimeMSExpired = 50;
    public const int WriteConcernTimeout = 64;
    public const int CannotCreateIndex = 67;
    public const int IndexOptionsConflict = 85;
    public const int IndexKeySpecsConflict = 86;
    public const int UnsatisfiableCommitQuorum = 278;
    public const int DuplicateKey = 11000;

    /// <summary>A retry may succeed: the server says the error is transient.</summary>
    public static FrozenSet<int> RetriableError { get; } =
        FrozenSet.Create(6, 7, 89, 91, 134, 189, 262, 317, 358, 384, 402, 406, 407, 412, 453, 462, 9001, 10107, 11600, 11602, 13435,
            13436, 50915, 91331, 10045600);

    /// <summary>A network round trip (client to server, or mongos to a shard) ran out of time.</summary>
    public static FrozenSet<int> NetworkTimeoutError { get; } = FrozenSet.Create(89, 202);

    /// <summary>The server is shutting down.</summary>
    public static FrozenSet<int> ShutdownError { get; } = FrozenSet.Create(91, 333, 11600);

    /// <summary>The node that got the request is not (or is no longer) primary.</summary>
    public static FrozenSet<int> NotPrimaryError { get; } = FrozenSet.Create(189, 10107, 11602, 13435, 13436);

    /// <summary>The operation was interrupted (killed, timed out, stepped down, shut down) before it finished.</summary>
    public static FrozenSet<int> Interruption { get; } =
        FrozenSet.Create(24, 50, 237, 262, 279, 281, 282, 290, 355, 453, 11600, 11601, 11602, 46841, 91331, 10045600);

    /// <summary>A time limit ran out: the operation's own (maxTimeMS), or one inside the cluster.</summary>
    public static FrozenSet<int> ExceededTimeLimitError { get; } = FrozenSet.Create(50, 202, 262, 290, 407);

    /// <summary>The server turned the operation away to shed load.</summary>
    public static FrozenSet<int> SystemOverloadedError { get; } = FrozenSet.Create(433, 449, 450, 462);

    /// <summary>A cursor or query plan the operation relied on went away under it (a killed cursor, a dropped index).</summary>
    public static FrozenSet<int> CursorInvalidatedError { get; } = FrozenSet.Create(43, 96, 175, 237, 314);

    /// <summary>
    /// Transient codes the file puts in none of the categories above: 112 WriteConflict (two writes met on one
    /// document; the server retries single-document writes itself, so it reaches a client only when that gives up)
    /// and 133 FailedToSatisfyReadPreference (mongos found no member the read preference allows, as during an election).
    /// </summary>
    public static FrozenSet<int> UncategorisedTransient { get; } = FrozenSet.Create(112, 133);

    /// <summary>Every code after which the same request, sent again a little later, may succeed.</summary>
    public static FrozenSet<int> Transient { get; } = RetriableError.Union(NetworkTimeoutError).Union(ShutdownError)
        .Union(NotPrimaryError).Union(Interruption).Union(CursorInvalidatedError).Union(UncategorisedTransient).ToFrozenSet();
}
