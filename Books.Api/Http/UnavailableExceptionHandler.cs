using Books.Api.Books;
using Books.Api.Security;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Driver;

namespace Books.Api.Http;

/// <summary>
/// A request that needs a dependency while it cannot be reached (MongoDB for any request, the identity
/// provider for a write) fails with 503 and Retry-After, not 500: the request was fine, the dependency is down,
/// overloaded, or too slow. A write MongoDB applied but could not confirm (write-concern error 64) is a 503 too,
/// whose detail says the write may stand.
/// </summary>
internal sealed partial class UnavailableExceptionHandler(
    IProblemDetailsService problemDetails, BookQueryLimits limits, ILogger<UnavailableExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (problem, detail) = exception switch
        {
            IdentityProviderUnavailableException => (BooksProblems.IdentityProviderUnavailable, BooksProblems.IdentityProviderUnavailable.Detail()),
            _ when TookTooLong(exception) => (BooksProblems.QueryTookTooLong, BooksProblems.QueryTookTooLong.Detail()),
            _ when WriteNotConfirmed(exception) => (BooksProblems.WriteNotConfirmed, BooksProblems.WriteNotConfirmed.Detail(limits.TimeLimit.TotalMilliseconds)),
            _ when IsOverloaded(exception) => (BooksProblems.DatabaseOverloaded, BooksProblems.DatabaseOverloaded.Detail()),
            _ when IsUnavailable(exception) => (BooksProblems.DatabaseUnavailable, BooksProblems.DatabaseUnavailable.Detail()),
            _ => (null, null),
        };
        if (problem is null)
        {
            return false;
        }

        LogUnavailable(problem.Title, exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem.Details(detail),
        });
    }

    /// <summary>
    /// MongoDB turned the operation away to shed load, or the driver had no room to queue it: the error carries the
    /// SystemOverloadedError or RetryableError label (MongoDB 8.2's ingress rate limiters, codes 462 and 463, and
    /// Atlas's load shedding, once the driver's own backpressure retries are spent), or the connection pool's wait
    /// queue is full (MongoWaitQueueFullException).
    /// </summary>
    internal static bool IsOverloaded(Exception exception) => exception switch
    {
        MongoWaitQueueFullException => true,
        MongoException mongo when mongo.HasErrorLabel(SystemOverloadedErrorLabel) || mongo.HasErrorLabel(RetryableErrorLabel) => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsOverloaded),
        _ => exception.InnerException is { } inner && IsOverloaded(inner),
    };

    /// <summary>
    /// The write was applied, but its write concern was not satisfied in time (error 64, WriteConcernFailed, with
    /// wtimeout): MongoDB's manual says such a write is not undone, and may yet be rolled back by a failover. The
    /// driver reports it as a write-concern exception (findAndModify), or as the write-concern error of a write or
    /// bulk-write exception (insert, update, delete, bulk writes).
    /// </summary>
    internal static bool WriteNotConfirmed(Exception exception) => exception switch
    {
        MongoWriteConcernException writeConcern => WriteConcernErrorCode(writeConcern) == WriteConcernFailedCode,
        MongoWriteException { WriteConcernError.Code: WriteConcernFailedCode } => true,
        MongoBulkWriteException { WriteConcernError.Code: WriteConcernFailedCode } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(WriteNotConfirmed),
        _ => exception.InnerException is { } inner && WriteNotConfirmed(inner),
    };

    /// <summary>
    /// Whether <paramref name="exception"/> means "MongoDB cannot be reached right now", so a retry later may
    /// succeed: server selection gave up (TimeoutException), a connection failed or was refused, the pool is
    /// paused after such a failure, the server is not (or no longer) primary or is shutting down, or the driver
    /// labelled the error retryable (the retryable-writes specification's RetryableWriteError, also carried by
    /// write-concern errors) or the error code is one of that specification's retryable codes, or a driver exception
    /// carries a socket or I/O error; whether thrown as it is or wrapped inside another exception.
    /// </summary>
    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        TimeoutException or MongoConnectionException or MongoConnectionPoolPausedException
            or MongoNotPrimaryException or MongoNodeIsRecoveringException => true,
        MongoException mongo when mongo.HasErrorLabel(RetryableWriteErrorLabel) => true,
        MongoWriteConcernException writeConcern when WriteConcernErrorCode(writeConcern) is { } code && s_retryableCodes.Contains(code) => true,
        MongoCommandException command when s_retryableCodes.Contains(command.Code) => true,
        MongoException { InnerException: System.Net.Sockets.SocketException or IOException } => true, // the network, under another driver type
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    /// <summary>MongoDB stopped the operation at its time limit (maxTimeMS; error 50, MaxTimeMSExpired).</summary>
    internal static bool TookTooLong(Exception exception) =>
        exception is MongoExecutionTimeoutException || (exception.InnerException is { } inner && TookTooLong(inner));

    private const string RetryableWriteErrorLabel = "RetryableWriteError";
    private const string SystemOverloadedErrorLabel = "SystemOverloadedError";
    private const string RetryableErrorLabel = "RetryableError";
    private const int WriteConcernFailedCode = 64;

    // The retryable-writes specification's list: HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress,
    // PrimarySteppedDown, ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown,
    // InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
    private static readonly HashSet<int> s_retryableCodes = [6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436];

    private static int? WriteConcernErrorCode(MongoWriteConcernException exception) =>
        exception.WriteConcernResult?.Response?.GetValue("writeConcernError", null) is MongoDB.Bson.BsonDocument error
        && error.GetValue("code", null) is { IsInt32: true } code
            ? code.AsInt32
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Title} ({ExceptionType}); answered 503.")]
    private partial void LogUnavailable(string title, string exceptionType);
}
