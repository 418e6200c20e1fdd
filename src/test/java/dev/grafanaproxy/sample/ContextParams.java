package dev.grafanaproxy.sample;

import dev.grafanaproxy.testsupport.ConfFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The context parameters that the shipped {@code conf/} context files (found through
 * {@link ConfFiles}) and the sample's web.xml set, read as their containers read them.
 */
final class ContextParams {

    /** The repository (the working directory of the tests). */
    static final Path ROOT = Path.of("").toAbsolutePath();
    /** {@code webapp-sample/}. */
    static final Path SAMPLE = ROOT.resolve("webapp-sample");

    private ContextParams() {
    }

    /** The {@code <Parameter>}s of {@code conf/Catalina/localhost/grafana.xml}. */
    static Map<String, String> tomcat() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        NodeList list = xml(ConfFiles.path(ConfFiles.TOMCAT_CONTEXT)).getElementsByTagName("Parameter");
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            params.put(e.getAttribute("name"), e.getAttribute("value"));
        }
        return params;
    }

    /** The {@code setInitParameter} calls of {@code conf/jetty/grafana.xml}. */
    static Map<String, String> jetty() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        NodeList calls = xml(ConfFiles.path(ConfFiles.JETTY_CONTEXT)).getElementsByTagName("Call");
        for (int i = 0; i < calls.getLength(); i++) {
            Element call = (Element) calls.item(i);
            if ("setInitParameter".equals(call.getAttribute("name"))) {
                NodeList args = call.getElementsByTagName("Arg");
                params.put(args.item(0).getTextContent().strip(), args.item(1).getTextContent().strip());
            }
        }
        return params;
    }

    /** The {@code <context-param>}s of the sample app's web.xml. */
    static Map<String, String> sampleApp() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        NodeList list = xml(SAMPLE.resolve("src/main/webapp/WEB-INF/web.xml")).getElementsByTagName("context-param");
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            params.put(e.getElementsByTagName("param-name").item(0).getTextContent().strip(),
                    e.getElementsByTagName("param-value").item(0).getTextContent().strip());
        }
        return params;
    }

    static Document xml(Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(file.toFile());
    }

}
