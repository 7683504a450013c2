using ModerationConsole.Scoring.Import;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring.Import;

/// <summary>nsfwjs ships its models as minified JS modules: the reader takes the data they export, and nothing else.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class JsLiteralReaderTests
{
    [Fact]
    public void Minified_literals_read_as_json()
    {
        var value = JsLiteralReader.Read("""{a:1,"b":[.5,-.25,1e-3,-2E+2],c:!0,d:!1,e:null,f:'it\'s',g:"\u00e9\x41\n",$h_1:{},7:[]}""", "test")!;

        var relaxed = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.Equal("""{"a":1,"b":[0.5,-0.25,0.001,-200],"c":true,"d":false,"e":null,"f":"it's","g":"éA\n","$h_1":{},"7":[]}""", value.ToJsonString(relaxed));
    }

    [Fact]
    public void The_value_a_browserify_module_exports_is_found_past_its_wrapper()
    {
        const string module = """
            !function(e){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=e();else{}}(function(){return function e(a,n,i){}({1:[function(e,h,n){h.exports={modelTopology:{layers:[{name:"x"}]},weightsManifest:[]}},{}]},{},[1])(1)});
            """;

        var value = JsLiteralReader.ReadModuleExports(module, "model.min.js")!;

        Assert.Equal("x", value["modelTopology"]!["layers"]![0]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{a:alert(1)}", "'alert' is code, not data")]
    [InlineData("{a:function(){}}", "'function' is code, not data")]
    [InlineData("{a:1,a:2}", "key 'a' twice")]
    [InlineData("[1,2", "']' expected, found the end")]
    [InlineData("\"open", "unterminated string")]
    [InlineData("{a:1} x", "text after the value")]
    public void Anything_but_data_is_refused_with_where_and_why(string text, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => JsLiteralReader.Read(text, "model.min.js"));

        Assert.StartsWith("model.min.js: ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Nesting_is_bounded()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);

        Assert.Contains("nested deeper than", Assert.Throws<InvalidDataException>(() => JsLiteralReader.Read(deep, "x")).Message);
    }
}
