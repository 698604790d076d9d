using Books.Api.Limits;
using System.Net.Sockets;
using Books.Api.Database;
using Books.Api.Http;
using Microsoft.Extensions.Options;
using Books.Api.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;

namespace Books.Tests.Unit;

/// <summary>
/// Each way the driver says "MongoDB cannot be reached right now" is a 503 with Retry-After (RFC 9110 15.6.4:
/// the server is temporarily unable to handle the request; 10.2.3: Retry-After says how long to wait), and the
/// time limit running out (maxTimeMS, error 50) is a 503 that says so. A code is classified by the category MongoDB's
/// src/mongo/base/error_codes.yml gives it, one row per category; the labels are those of the retryable-writes and
/// client-backpressure specifications. A write-concern error of any code is a write that was applied. Anything else
/// is not ours to answer and is left to the 500 handler.
/// </summary>
public sealed class UnavailableExceptionHandlerTests
{
    private static readonly ConnectionId s_connection = new(new ServerId(new ClusterId(), new DnsEndPoint("db", 27017)));

    public static TheoryData<string, Exception, string?> Exceptions => new()
    {
        { "server selection gave up", new TimeoutException("A timeout occurred after 5000ms selecting a server."), "Database unavailable" },
        { "connection failed", new MongoConnectionException(s_connection, "An exception occurred while opening a connection."), "Database unavailable" },
        { "pool paused after a failure", new MongoConnectionPoolPausedException("The connection pool is in paused state."), "Database unavailable" },
        { "not primary", new MongoNotPrimaryException(s_connection, new BsonDocument("ping", 1), Error(10107, "NotWritablePrimary")), "Database unavailable" },
        { "node recovering", new MongoNodeIsRecoveringException(s_connection, new BsonDocument("ping", 1), Error(11600, "InterruptedAtShutdown")), "Database unavailable" },
        { "labelled RetryableWriteError", Labelled(new MongoCommandException(s_connection, "failed", new BsonDocument("insert", "books"), Error(2, "BadValue"))), "Database unavailable" },
        { "retryable code, command", new MongoCommandException(s_connection, "failed", new BsonDocument("find", "books"), Error(91, "ShutdownInProgress")), "Database unavailable" },
        // error_codes.yml's categories, one code each; the codes the issue named beside them.
        { "RetriableError (134)", Command(134, "ReadConcernMajorityNotAvailableYet"), "Database unavailable" },
        { "NotPrimaryError (11602)", Command(11602, "InterruptedDueToReplStateChange"), "Database unavailable" },
        { "Interruption (11601)", Command(11601, "Interrupted"), "Database unavailable" },
        { "CursorInvalidatedError (175)", Command(175, "QueryPlanKilled"), "Database unavailable" },
        { "no category: WriteConflict (112)", Command(112, "WriteConflict"), "Database unavailable" },
        { "no category: FailedToSatisfyReadPreference (133)", Command(133, "FailedToSatisfyReadPreference"), "Database unavailable" },
        { "socket error inside a driver exception", new MongoClientException("failed", new SocketException((int)SocketError.ConnectionReset)), "Database unavailable" },
        { "I/O error inside a driver exception", new MongoClientException("failed", new IOException("Unable to read data from the transport connection.")), "Database unavailable" },
        { "network error wrapped in another type", new InvalidOperationException("wrapped", new MongoConnectionException(s_connection, "dropped")), "Database unavailable" },
        { "network error in an aggregate", new AggregateException(new MongoConnectionPoolPausedException("paused")), "Database unavailable" },
        { "time limit (error 50)", new MongoExecutionTimeoutException(s_connection, "operation exceeded time limit", Error(50, "MaxTimeMSExpired")), "Query took too long" },
        { "ExceededTimeLimitError, NetworkTimeoutError (202)", Command(202, "NetworkInterfaceExceededTimeLimit"), "Query took too long" },
        { "ExceededTimeLimitError, RetriableError (262)", Command(262, "ExceededTimeLimit"), "Query took too long" },
        // MongoDB 8.2's ingress rate limiters and Atlas's load shedding (SystemOverloadedError; RetryableError when it
        // ran nothing), once the driver's backpressure retries are spent; the pool's wait queue full.
        { "ingress request rate limit (462)", Labelled(Command(462, "IngressRequestRateLimitExceeded"), "SystemOverloadedError", "RetryableError"), "Database overloaded" },
        { "ingress operation rate limit (463)", Labelled(Command(463, "IngressOperationRateLimitExceeded"), "SystemOverloadedError", "RetryableError", "NoWritesPerformed"), "Database overloaded" },
        { "overloaded, not said to be retryable", Labelled(Command(462, "IngressRequestRateLimitExceeded"), "SystemOverloadedError"), "Database overloaded" },
        { "labelled RetryableError only", Labelled(Command(2, "BadValue"), "RetryableError"), "Database overloaded" },
        { "SystemOverloadedError without labels (433)", Command(433, "AdmissionQueueOverflow"), "Database overloaded" },
        { "wait queue full", new MongoWaitQueueFullException("The wait queue for acquiring a connection to server db:27017 is full."), "Database overloaded" },
        // MongoDB manual, write concern: the write was applied and is not undone, whichever limit ended the wait:
        // wtimeout (64), or maxTimeMS (50; jstests/replsets/await_replication_timeout.js), or another cause.
        { "write concern timed out (64)", WriteConcern(64, "WriteConcernTimeout"), "Write not confirmed" },
        { "write concern ran out of maxTimeMS (50)", WriteConcern(50, "MaxTimeMSExpired"), "Write not confirmed" },
        { "write concern unsatisfiable (100)", WriteConcern(100, "UnsatisfiableWriteConcern"), "Write not confirmed" },
        { "write concern interrupted by a stepdown (189)", WriteConcern(189, "PrimarySteppedDown"), "Write not confirmed" },
        { "write concern timed out, wrapped", new InvalidOperationException("wrapped", WriteConcern(64, "WriteConcernTimeout")), "Write not confirmed" },
        { "identity provider unreachable", new IdentityProviderUnavailableException(new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused))), "Identity provider unavailable" },

        // Not an outage: the request or the code is at fault, and retrying would not help.
        { "non-retryable command error", new MongoCommandException(s_connection, "failed", new BsonDocument("find", "books"), Error(2, "BadValue")), null },
        { "I/O error outside the driver", new IOException("disk full"), null },
        { "a bug", new InvalidOperationException("a bug"), null },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public async Task Outages_are_503_with_retry_after(string what, Exception exception, string? title)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new UnavailableExceptionHandler(
            services.GetRequiredService<IProblemDetailsService>(), new BookQueryLimits(Options.Create(new QueryLimitSettings())), new BooksMongoClientSettings(),
            NullLogger<UnavailableExceptionHandler>.Instance);

        var handled = await handler.TryHandleAsync(context, exception, TestContext.Current.CancellationToken);

        Assert.True(handled == title is not null, what);
        if (title is not null)
        {
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
            Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
            context.Response.Body.Position = 0;
            var problem = await JsonSerializer.DeserializeAsync<JsonElement>(context.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(title, problem.GetProperty("title").GetString());
        }
    }

    private static BsonDocument Error(int code, string name) => new() { { "ok", 0 }, { "code", code }, { "codeName", name }, { "errmsg", name } };

    private static MongoException Labelled(MongoException exception, params string[] labels)
    {
        foreach (var label in labels is [] ? ["RetryableWriteError"] : labels)
        {
            exception.AddErrorLabel(label);
        }

        return exception;
    }

    private static MongoCommandException Command(int code, string name) =>
        new(s_connection, name, new BsonDocument("find", "books"), Error(code, name));

    private static MongoWriteConcernException WriteConcern(int code, string name) =>
        new(s_connection, "write concern error", new WriteConcernResult(new BsonDocument
        {
            { "ok", 1 }, { "n", 1 }, { "writeConcernError", new BsonDocument { { "code", code }, { "codeName", name }, { "errmsg", name } } },
        }));
}
