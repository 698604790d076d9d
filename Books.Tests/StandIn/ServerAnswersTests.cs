namespace Books.Tests.StandIn;

/// <summary>
/// The answers the stand-in's relay emulates, each held to the server test that defines it (mongodb/mongo jstests,
/// read 2026-12-07): the product is tested against these answers, so an answer the server does not give would test
/// the product against a belief. Raw commands, so that what the server says is seen before any driver reads it.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class ServerAnswersTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private const int Short = 300, Long = 3_000;

    /// <summary>
    /// jstests/replsets/await_replication_timeout.js, one row per case: a write that cannot reach the majority it asks
    /// for is applied, then its wait ends at whichever limit runs out first: wtimeout (64, WriteConcernTimeout, with
    /// errInfo.wtimeout) or maxTimeMS (50, MaxTimeMSExpired), reported as a writeConcernError of a command that
    /// succeeded.
    /// </summary>
    [Theory]
    [InlineData("Test wtimeout", Short, 0, 64)]
    [InlineData("Test maxTimeMS timeout", 0, Short, 50)]
    [InlineData("Test with wtimeout < maxTimeMS", Short, Long, 64)]
    [InlineData("Test with wtimeout > maxTimeMS", Long, Short, 50)]
    public async Task Write_without_majority_ends_at_first_limit(string jstestCase, int wtimeout, int maxTimeMs, int code)
    {
        var (database, failPointData) = NewDatabase();
        var writeConcern = new BsonDocument("w", "majority");
        if (wtimeout > 0)
        {
            writeConcern["wtimeout"] = wtimeout;
        }

        var insert = new BsonDocument
        {
            ["insert"] = "foo", ["documents"] = new BsonArray { new BsonDocument("a", jstestCase) }, ["writeConcern"] = writeConcern,
        };
        if (maxTimeMs > 0)
        {
            insert["maxTimeMS"] = maxTimeMs;
        }

        var (reply, elapsed) = await RunWithFailPointAsync(database, "majorityUnreachable", failPointData, insert);

        Assert.Equal(1, reply["ok"].ToInt32());
        var error = reply["writeConcernError"].AsBsonDocument;
        Assert.Equal(code, error["code"].ToInt32());
        Assert.Equal(code == 64 ? "WriteConcernTimeout" : "MaxTimeMSExpired", error["codeName"].AsString);
        Assert.Equal(code == 64, error["errInfo"].AsBsonDocument.GetValue("wtimeout", false).ToBoolean());
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(Short - 20), TimeSpan.FromMilliseconds(Long - 500)); // the shorter limit
        Assert.Equal(1, await database.GetCollection<BsonDocument>("foo").CountDocumentsAsync(new BsonDocument("a", jstestCase), cancellationToken: Cancellation));
    }

    /// <summary>The same, for findAndModify, the command PUT and PATCH send: its writeConcernError is the same.</summary>
    [Fact]
    public async Task FindAndModify_without_majority_ends_at_maxTimeMS()
    {
        var (database, failPointData) = NewDatabase();
        var books = database.GetCollection<BsonDocument>("foo");
        await books.InsertOneAsync(new BsonDocument { ["_id"] = 1, ["v"] = 1 }, cancellationToken: Cancellation);
        var command = new BsonDocument
        {
            ["findAndModify"] = "foo", ["query"] = new BsonDocument("_id", 1), ["update"] = new BsonDocument("$inc", new BsonDocument("v", 1)),
            ["maxTimeMS"] = Short, ["writeConcern"] = new BsonDocument { ["w"] = "majority", ["wtimeout"] = Short },
        };

        var (reply, _) = await RunWithFailPointAsync(database, "majorityUnreachable", failPointData, command);

        Assert.Equal(50, reply["writeConcernError"]["code"].ToInt32()); // a tie goes to maxTimeMS, whose clock started first
        Assert.Equal(2, (await books.Find(new BsonDocument("_id", 1)).SingleAsync(Cancellation))["v"].ToInt32());
    }

    /// <summary>jstests/core/failcommand_failpoint.js, "Test with success and writeConcernError": the command runs.</summary>
    [Fact]
    public async Task Fail_command_write_concern_error_applies_the_write()
    {
        var (database, failPointData) = NewDatabase();
        failPointData["failCommands"] = new BsonArray { "insert" };
        failPointData["writeConcernError"] = new BsonDocument { ["code"] = 12345, ["errmsg"] = "hello" };

        var (reply, _) = await RunWithFailPointAsync(database, "failCommand", failPointData,
            new BsonDocument { ["insert"] = "foo", ["documents"] = new BsonArray { new BsonDocument("_id", 1) } });

        Assert.Equal(new BsonDocument { ["code"] = 12345, ["errmsg"] = "hello" }, reply["writeConcernError"]);
        Assert.Equal(1, await database.GetCollection<BsonDocument>("foo").CountDocumentsAsync(new BsonDocument("_id", 1), cancellationToken: Cancellation));
    }

    /// <summary>
    /// The same test, "Test with natural failure and writeConcernError": a duplicate key still fails as a duplicate key
    /// (the stand-in says so as a command error, mongod as a write error), with the writeConcernError beside it.
    /// </summary>
    [Fact]
    public async Task Fail_command_keeps_a_duplicate_key()
    {
        var (database, failPointData) = NewDatabase();
        var insert = new BsonDocument { ["insert"] = "foo", ["documents"] = new BsonArray { new BsonDocument("_id", "dup") } };
        await database.RunCommandAsync<BsonDocument>(insert, cancellationToken: Cancellation);
        failPointData["failCommands"] = new BsonArray { "insert" };
        failPointData["writeConcernError"] = new BsonDocument { ["code"] = 12345, ["errmsg"] = "hello" };

        var (reply, _) = await RunWithFailPointAsync(database, "failCommand", failPointData, insert);

        var code = reply.GetValue("code", null) ?? reply["writeErrors"][0]["code"];
        Assert.Equal(11000, code.ToInt32());
        Assert.Equal(12345, reply["writeConcernError"]["code"].ToInt32());
    }

    /// <summary>The same test, "Test failing with a particular error code": the command is not run.</summary>
    [Fact]
    public async Task Fail_command_error_code_does_not_run()
    {
        var (database, failPointData) = NewDatabase();
        failPointData["failCommands"] = new BsonArray { "insert" };
        failPointData["errorCode"] = 10107;

        var (reply, _) = await RunWithFailPointAsync(database, "failCommand", failPointData,
            new BsonDocument { ["insert"] = "foo", ["documents"] = new BsonArray { new BsonDocument("_id", 1) } });

        Assert.Equal((0, 10107, "NotWritablePrimary"), (reply["ok"].ToInt32(), reply["code"].ToInt32(), reply["codeName"].AsString));
        Assert.Equal(0, await database.GetCollection<BsonDocument>("foo").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Cancellation));
    }

    /// <summary>
    /// src/mongo/db/operation_context.cpp: maxTimeAlwaysTimeOut fails "any query or command run with a valid non-zero
    /// max time" at once with 50; a command without one (or with 0, no limit) runs.
    /// </summary>
    [Theory]
    [InlineData(500, 50)]
    [InlineData(0, 0)]
    [InlineData(null, 0)]
    public async Task MaxTimeAlwaysTimeOut_fails_only_limited_commands(int? maxTimeMs, int code)
    {
        var (database, failPointData) = NewDatabase();
        var find = new BsonDocument("find", "foo");
        if (maxTimeMs is { } limit)
        {
            find["maxTimeMS"] = limit;
        }

        var (reply, _) = await RunWithFailPointAsync(database, "maxTimeAlwaysTimeOut", failPointData, find);

        Assert.Equal(code, reply.GetValue("code", 0).ToInt32());
    }

    /// <summary>
    /// MongoDB manual, "Comparison/Sort Order": numeric types undergo conversion before comparison, so an int32 1, an
    /// int64 1 and a double 1.0 are equal to a query for any of them (src/mongo/bson/bsontypes.cpp, canonicalizeBSONType).
    /// Other tools store numbers as they like (mongosh writes doubles, the Node.js driver int32s); a filter books-api
    /// writes with an int64 must match them all, in every command that filters.
    /// </summary>
    [Theory]
    [InlineData("equality")]
    [InlineData("$eq")]
    [InlineData("$in")]
    [InlineData("$ne")]
    [InlineData("$nin")]
    public async Task Numbers_of_any_type_compare_by_value(string form)
    {
        var (database, _) = NewDatabase();
        var numbers = database.GetCollection<BsonDocument>("foo");
        await numbers.InsertManyAsync([new() { ["v"] = 1 }, new() { ["v"] = 1L }, new() { ["v"] = 1.0 }, new() { ["v"] = 2 }], cancellationToken: Cancellation);
        BsonValue one = 1L;
        var filter = form switch
        {
            "equality" => new BsonDocument("v", one),
            "$ne" or "$eq" => new BsonDocument("v", new BsonDocument(form, one)),
            _ => new BsonDocument("v", new BsonDocument(form, new BsonArray { one })),
        };
        var expected = form is "$ne" or "$nin" ? 1 : 3;

        Assert.Equal(expected, (await numbers.Find(filter).ToListAsync(Cancellation)).Count);
        Assert.Equal(expected, await numbers.CountDocumentsAsync(filter, cancellationToken: Cancellation));
        Assert.Equal(expected, (await numbers.UpdateManyAsync(filter, new BsonDocument("$set", new BsonDocument("seen", form)), cancellationToken: Cancellation)).ModifiedCount);
        Assert.NotNull(await numbers.FindOneAndUpdateAsync(filter, new BsonDocument("$set", new BsonDocument("once", true)), cancellationToken: Cancellation));
        Assert.Equal(expected, (await numbers.DeleteManyAsync(filter, Cancellation)).DeletedCount);
    }

    private (IMongoDatabase Database, BsonDocument FailPointData) NewDatabase()
    {
        var url = MongoUrl.Create(mongod.NewDatabase());
        var database = new MongoClient(url).GetDatabase(url.DatabaseName);
        return (database, new BsonDocument("namespace", $"{url.DatabaseName}.foo"));
    }

    /// <summary>Runs one command under a fail point and returns the server's reply document as it came, and how long it took.</summary>
    private async Task<(BsonDocument Reply, TimeSpan Elapsed)> RunWithFailPointAsync(
        IMongoDatabase database, string failPoint, BsonDocument data, BsonDocument command)
    {
        await mongod.ConfigureFailPointAsync(failPoint, new BsonDocument("times", 1), data, Cancellation);
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var reply = await database.RunCommandAsync<BsonDocument>(command, cancellationToken: timeout.Token);
            return (reply, clock.Elapsed);
        }
        catch (MongoWriteConcernException ex)
        {
            return (ex.WriteConcernResult.Response, clock.Elapsed);
        }
        catch (MongoCommandException ex)
        {
            return (ex.Result, clock.Elapsed);
        }
        catch (MongoExecutionTimeoutException ex)
        {
            return (new BsonDocument { ["ok"] = 0, ["code"] = ex.Code, ["codeName"] = ex.CodeName }, clock.Elapsed);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync(failPoint, "off", data, CancellationToken.None);
        }
    }
}
