using Books.Api.Limits;
using Books.Api.Books;
using Books.Api.Database;
using Books.Api.Security;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Driver;

namespace Books.Api.Http;

/// <summary>
/// A request that needs a dependency while it cannot be reached (MongoDB for any request, the identity
/// provider for a write) fails with 503 and Retry-After, not 500: the request was fine, the dependency is down,
/// overloaded, or too slow. What MongoDB said decides which 503, by the categories the server gives its error codes
/// (<see cref="MongoErrorCodes"/>). A write MongoDB applied but could not confirm (any write-concern error) is a 503
/// too, whose detail says the write may stand.
/// </summary>
internal sealed partial class UnavailableExceptionHandler(
    IProblemDetailsService problemDetails, BookQueryLimits limits, BooksMongoClientSettings client, ILogger<UnavailableExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            IdentityProviderUnavailableException => BooksProblems.IdentityProviderUnavailable(),
            _ when WriteNotConfirmed(exception) => BooksProblems.WriteNotConfirmed(limits.TimeLimit),
            _ when TookTooLong(exception) => BooksProblems.QueryTookTooLong(),
            _ when IsOverloaded(exception, client) => BooksProblems.DatabaseOverloaded(),
            _ when IsUnavailable(exception) => BooksProblems.DatabaseUnavailable(),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        LogUnavailable(problem.ProblemDetails.Title!, exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfter.Header(RetryAfter.Outage);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem.ProblemDetails,
        });
    }

    /// <summary>
    /// MongoDB turned the operation away to shed load, or the driver had no room for it: the error carries the
    /// SystemOverloadedError or RetryableError label (MongoDB 8.2's ingress rate limiters and Atlas's load shedding, once
    /// the driver's own backpressure retries are spent), or a code of the server's SystemOverloadedError category; or
    /// every pooled connection stayed busy for the whole wait (<see cref="BooksMongoClientSettings.IsCheckOutTimeout"/>,
    /// or the driver's MongoWaitQueueFullException).
    /// </summary>
    internal static bool IsOverloaded(Exception exception, BooksMongoClientSettings? client = null) => exception switch
    {
        MongoWaitQueueFullException => true,
        TimeoutException when client?.IsCheckOutTimeout(exception) == true => true,
        MongoException mongo when mongo.HasErrorLabel(SystemOverloadedErrorLabel) || mongo.HasErrorLabel(RetryableErrorLabel) => true,
        _ when ServerCode(exception) is { } code && MongoErrorCodes.SystemOverloadedError.Contains(code) => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(inner => IsOverloaded(inner, client)),
        _ => exception.InnerException is { } inner && IsOverloaded(inner, client),
    };

    /// <summary>
    /// The write was applied, but its write concern was not satisfied: a write-concern error, whatever its code. 64
    /// (WriteConcernTimeout) when wtimeout ran out first, 50 (MaxTimeMSExpired) when the command's maxTimeMS did (mongod
    /// starts that clock first, so findAndModify, which carries both, gets 50: jstests/replsets/await_replication_timeout.js),
    /// or another (100 UnsatisfiableWriteConcern, a stepdown during the wait). MongoDB's manual says such a write is not
    /// undone, and may yet be rolled back by a failover. The driver reports it as a write-concern exception
    /// (findAndModify), or as the write-concern error of a write or bulk-write exception (insert, update, delete, bulk).
    /// </summary>
    internal static bool WriteNotConfirmed(Exception exception) => exception switch
    {
        MongoDuplicateKeyException => false,
        MongoWriteConcernException writeConcern => WriteConcernErrorCode(writeConcern) is not null,
        MongoWriteException { WriteConcernError: not null } => true,
        MongoBulkWriteException { WriteConcernError: not null } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(WriteNotConfirmed),
        _ => exception.InnerException is { } inner && WriteNotConfirmed(inner),
    };

    /// <summary>
    /// Whether <paramref name="exception"/> means "MongoDB cannot serve this right now", so a retry later may succeed:
    /// server selection gave up (TimeoutException), a connection failed or was refused, the pool is paused after such a
    /// failure, the driver labelled the error retryable (RetryableWriteError), a driver exception carries a socket or
    /// I/O error, or the server's code is transient by its own categories (<see cref="MongoErrorCodes.Transient"/>:
    /// not primary, shutting down, interrupted, a network time-out, a cursor or plan gone); whether thrown as it is or
    /// wrapped inside another exception.
    /// </summary>
    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        TimeoutException or MongoConnectionException or MongoConnectionPoolPausedException
            or MongoNotPrimaryException or MongoNodeIsRecoveringException => true,
        MongoException mongo when mongo.HasErrorLabel(RetryableWriteErrorLabel) => true,
        _ when ServerCode(exception) is { } code && MongoErrorCodes.Transient.Contains(code) => true,
        MongoException { InnerException: System.Net.Sockets.SocketException or IOException } => true, // the network, under another driver type
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    /// <summary>MongoDB stopped the operation at a time limit: its own (maxTimeMS, 50) or one in the cluster (the server's ExceededTimeLimitError category).</summary>
    internal static bool TookTooLong(Exception exception) => exception switch
    {
        MongoExecutionTimeoutException => true,
        _ when ServerCode(exception) is { } code && MongoErrorCodes.ExceededTimeLimitError.Contains(code) => true,
        _ => exception.InnerException is { } inner && TookTooLong(inner),
    };

    /// <summary>The code of the server's answer that failed the operation itself (not a write-concern error): a command error or a write error.</summary>
    private static int? ServerCode(Exception exception) => exception switch
    {
        MongoWriteConcernException => null,
        MongoCommandException command => command.Code,
        MongoExecutionTimeoutException timeout => timeout.Code,
        MongoWriteException { WriteError: { } error } => error.Code,
        MongoBulkWriteException { WriteErrors: [var error, ..] } => error.Code,
        _ => null,
    };

    private const string RetryableWriteErrorLabel = "RetryableWriteError";
    private const string SystemOverloadedErrorLabel = "SystemOverloadedError";
    private const string RetryableErrorLabel = "RetryableError";

    private static int? WriteConcernErrorCode(MongoWriteConcernException exception) =>
        exception.WriteConcernResult?.Response?.GetValue("writeConcernError", null) is MongoDB.Bson.BsonDocument error
        && error.GetValue("code", null) is { IsNumeric: true } code
            ? code.ToInt32()
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Title} ({ExceptionType}); answered 503.")]
    private partial void LogUnavailable(string title, string exceptionType);
}
